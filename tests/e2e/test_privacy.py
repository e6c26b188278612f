"""No log line of the real processes contains a token, a request body or a client address."""

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from common.tokens import generate_token
from tests.e2e.conftest import System, start_system
from tests.support.clients import Clients
from tests.support.http import CLIENT_ADDRESS, request, webhook
from tests.support.relays import KINDS

BODY_MARKER = "body-marker-7f3a9c"


@pytest.fixture(scope="module", params=KINDS)
def logs_after_traffic(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """Drive every path that could log a token, then stop the processes and return all they logged."""
    tokens = [generate_token() for _ in range(5)]
    with ExitStack() as stack:
        system = start_system(stack, request.param, tmp_path_factory, workers=2)
        _traffic(system, tokens)
    yield system.logs(), tokens


def _traffic(system: System, tokens: list[str]) -> None:
    mqtt = Clients(system.relay)
    try:
        device = mqtt.device(tokens[0], bind_address=CLIENT_ADDRESS)
        device.subscribe(f"awtrix/{tokens[0]}/notify", "#", f"awtrix/{tokens[1]}/#")
        assert webhook(system.http_port, tokens[0], payload={"text": BODY_MARKER}).status == 200
        device.next_message()
        # 202 on the embedded broker; Mosquitto counts the denied "#" above as a subscriber and says 200
        # (tests/mosquitto/test_gateway.py pins that limitation).
        assert webhook(system.http_port, tokens[1], payload={"text": BODY_MARKER}, via_header=True).status in (200, 202)
        assert webhook(system.http_port, tokens[2], raw=b'{"text": "' + BODY_MARKER.encode() + b'"').status == 400
        assert webhook(system.http_port, tokens[2], mode="reboot").status == 403
        assert request(system.http_port, "PUT", f"/cloud?mode=notify&token={tokens[3]}").status == 405
        # A link: its query (token, text, template) must stay out of every log too.
        link = f"/cloud?mode=notify&token={tokens[3]},{tokens[2]}&text={BODY_MARKER}&template=yes"
        assert request(system.http_port, "GET", link).status in (200, 202)
        escape = f"/cloud?mode=notify&token={tokens[3]}&template=yes&text={{{{%20x.__class__%20}}}}"
        assert request(system.http_port, "GET", escape).status == 400
        assert request(system.http_port, "GET", f"/nowhere/{tokens[3]}?token={tokens[3]}").status == 404
        mqtt.new(system.relay.device_port, tokens[4] + "!", "x", bind_address=CLIENT_ADDRESS).connect()
    finally:
        mqtt.close_all()


def test_no_token_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    output, tokens = logs_after_traffic
    assert "POST /cloud" in output  # the processes did log, and the access log is on
    for token in tokens:
        assert token not in output


def test_no_request_body_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    assert BODY_MARKER not in logs_after_traffic[0]


def test_no_client_address_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    assert CLIENT_ADDRESS not in logs_after_traffic[0]
