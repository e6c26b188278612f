"""Senders that cannot write the clock's JSON, through the gateway's real publisher to a real broker and device."""

import json
import logging
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from gateway.publishing import Publisher
from tests.gateway.conftest import Gateway, embedded_settings
from tests.gateway.senders.test_templates import PAYLOADS
from tests.support.clients import Client, Clients
from tests.support.embedded import EmbeddedBroker


@pytest.fixture
def on_embedded(
    embedded_broker: EmbeddedBroker, make_publisher: Callable[..., Publisher], make_gateway: Callable[..., Gateway]
) -> Callable[..., Gateway]:
    """Return a factory of gateways publishing to the embedded broker."""
    publisher = make_publisher(embedded_settings(embedded_broker))
    return lambda **settings: make_gateway(publisher, **settings)


@pytest.fixture
def device(mqtt: Clients) -> Callable[[str], Client]:
    """Return a factory of devices subscribed to their whole namespace."""

    def make(token: str) -> Client:
        clock = mqtt.device(token)
        assert clock.subscribe(f"awtrix/{token}/#") == [0]
        return clock

    return make


def test_a_link_sends_its_fields_as_a_notification(
    on_embedded: Callable[..., Gateway], device: Callable[[str], Client], token: str
) -> None:
    clock = device(token)
    query = urlencode({"mode": "notify", "token": token, "text": "Coffee is ready", "color": "orange", "duration": "5"})
    response = on_embedded().http.get(f"/cloud?{query}")
    assert (response.status_code, response.get_json()) == (200, {"delivered": True, "mode": "notify"})
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"Coffee is ready","color":"#FFA500","duration":5}')


@pytest.mark.parametrize(
    ("content_type", "body", "payload"),
    [
        ("text/plain", b'New mail from "Bob"\n', b'{"text":"New mail from \\"Bob\\""}'),
        ("application/x-www-form-urlencoded", b"text=4+kW&icon=sun&progress=42", b'{"text":"4 kW","icon":"sun","progress":42}'),
        ("application/json", "{“text”:”phone typed”}".encode(), b'{"text":"phone typed"}'),
    ],
)
def test_plain_text_form_and_curly_quoted_bodies_reach_the_clock(
    on_embedded: Callable[..., Gateway],
    device: Callable[[str], Client],
    token: str,
    content_type: str,
    body: bytes,
    payload: bytes,
) -> None:
    clock = device(token)
    assert on_embedded().webhook(token, mode="custom/mail", body=body, content_type=content_type).status_code == 200
    clock.expect_only(f"awtrix/{token}/custom/mail", payload)


def test_a_github_webhook_reaches_the_clock_through_its_preset(
    on_embedded: Callable[..., Gateway], device: Callable[[str], Client], token: str
) -> None:
    clock = device(token)
    body = (PAYLOADS / "github" / "workflow_run.failure.json").read_bytes()
    response = on_embedded().http.post(
        "/cloud?mode=notify&template=github", data=body, content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "X-GitHub-Event": "workflow_run"},
    )  # fmt: skip
    assert response.status_code == 200
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"CI failure on awtrix-dashboard/main","color":"#FF0000"}')


def test_a_template_error_answers_with_its_line_and_publishes_nothing(
    on_embedded: Callable[..., Gateway], device: Callable[[str], Client], token: str, caplog: pytest.LogCaptureFixture
) -> None:
    clock = device(token)
    query = urlencode({"mode": "notify", "token": token, "template": "yes", "text": "ok\n{{ ''.__class__ }}"})
    with caplog.at_level(logging.DEBUG):
        response = on_embedded().http.post(f"/cloud?{query}", json={"secret": "private words"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "template_error"
    assert "line 2" in response.get_json()["error"]["message"]
    clock.sync()
    assert clock.messages.empty()
    assert not [record for record in caplog.records if record.name.startswith("gateway")]


def test_senders_paths_log_nothing(on_embedded: Callable[..., Gateway], token: str, caplog: pytest.LogCaptureFixture) -> None:
    gateway = on_embedded()
    with caplog.at_level(logging.DEBUG):
        gateway.webhook(token, body=b"private words", content_type="text/plain")
        gateway.http.get(f"/cloud?mode=notify&token={token}&text=private+words")
        gateway.http.post(f"/cloud?mode=notify&token={token}&template=yes&text={{{{ body }}}}", json={"t": "private words"})
        gateway.http.post(f"/cloud?mode=notify&token={token}&template=yes&text={{% for i in range(10**9) %}}{{% endfor %}}")
    text = caplog.text
    assert token not in text and "private words" not in text
    assert not [record for record in caplog.records if record.name.startswith("gateway")]


def test_templates_answer_json_the_client_can_read(on_embedded: Callable[..., Gateway], token: str) -> None:
    answer = on_embedded().http.post(f"/cloud?mode=notify&token={token}&template=nope", json={})
    assert json.loads(answer.get_data())["error"]["code"] == "unknown_template"
