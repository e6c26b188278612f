"""Webhook answers are exactly what Flask makes of the answer's dict and status, however often they are sent."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.gateway.conftest import Gateway

TOKEN = "Answer-test-token-0001"


class FixedPublisher:
    """A publisher that publishes nothing and reports a fixed outcome."""

    connected = True

    def __init__(self, delivered: bool | None) -> None:
        """Report delivered for every publish."""
        self.delivered = delivered

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Return the fixed outcome."""
        return self.delivered


def flask_answer(answer: dict[str, object], status: int, debug: bool) -> FlaskClient:
    """Return a test client of a bare Flask app whose POST /cloud returns (answer, status) the usual way."""
    app = Flask("reference")
    app.debug = debug
    app.post("/cloud")(lambda: (answer, status))
    return app.test_client()


def wire(response: TestResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    """Return what goes on the wire: status line, headers in order, body."""
    return response.status, response.headers.to_wsgi_list(), response.data


@pytest.mark.parametrize(
    ("delivered", "hide_presence", "status", "answer"),
    [
        (True, False, 200, {"delivered": True}),
        (False, False, 202, {"delivered": False, "reason": "no_device_connected"}),
        (None, False, 200, {"delivered": None, "reason": "broker_gives_no_delivery_signal"}),
        (True, True, 200, {"accepted": True}),
        (False, True, 200, {"accepted": True}),
    ],
)
@pytest.mark.parametrize("mode", ["notify", "custom/solar", "indicator1"])
def test_webhook_answer_is_byte_identical_to_flasks_own_json_response(
    make_gateway: Callable[..., Gateway],
    delivered: bool | None,
    hide_presence: bool,
    status: int,
    answer: dict[str, object],
    mode: str,
) -> None:
    gateway = make_gateway(FixedPublisher(delivered), hide_presence=hide_presence)
    app = gateway.http.application
    assert isinstance(app, Flask)
    for debug in (False, True, False):  # the second answer of each kind comes from the encoded ones
        app.debug = debug
        expected = wire(flask_answer({**answer, "mode": mode}, status, debug).post("/cloud"))
        for _ in range(2):
            assert wire(gateway.webhook(TOKEN, mode=mode)) == expected
