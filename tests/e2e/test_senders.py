"""End to end: senders' webhooks through gunicorn and the embedded broker process to real paho devices."""

import json
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlencode

import pytest

from common.tokens import generate_token
from tests.e2e.conftest import System, start_system
from tests.gateway.senders.test_templates import PAYLOADS
from tests.support.clients import Client, Clients
from tests.support.http import request
from tests.support.relays import Relay


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """One embedded broker and a one-worker gateway for this module (the relay suites cover both brokers)."""
    with ExitStack() as stack:
        yield start_system(stack, "embedded", tmp_path_factory, workers=1)


@pytest.fixture
def relay(system: System) -> Relay:
    """The system's broker, for the shared `mqtt` device factory."""
    return system.relay


def clock(mqtt: Clients) -> tuple[str, Client]:
    token = generate_token()
    device = mqtt.device(token)
    assert device.subscribe(f"awtrix/{token}/#") == [0]
    return token, device


def test_a_link_reaches_the_clock_as_the_notification_its_fields_make(system: System, mqtt: Clients) -> None:
    token, device = clock(mqtt)
    query = urlencode({"mode": "notify", "token": token, "text": "Coffee is ready", "color": "FF8000", "rainbow": "no"})
    answer = request(system.http_port, "GET", f"/cloud?{query}")
    assert (answer.status, answer.body) == (200, {"delivered": True, "mode": "notify"})
    device.expect_only(f"awtrix/{token}/notify", b'{"text":"Coffee is ready","color":"#FF8000","rainbow":false}')


def test_a_github_webhook_reaches_the_clock_through_its_template(system: System, mqtt: Clients) -> None:
    token, device = clock(mqtt)
    body = (PAYLOADS / "github" / "pull_request.merged.json").read_bytes()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "pull_request", "Authorization": f"Bearer {token}"}
    answer = request(system.http_port, "POST", "/cloud?mode=custom/github&template=github&icon=github", body, headers)
    assert answer.status == 200
    expected = {"text": "PR #31 merged in awtrix-dashboard: Rain bar for the weather app", "icon": "github", "color": "#A000FF"}
    message = device.next_message()
    assert (message.topic, json.loads(message.payload)) == (f"awtrix/{token}/custom/github", expected)


def test_plain_text_to_several_clocks_reaches_each_and_answers_each(system: System, mqtt: Clients) -> None:
    (first, first_device), (second, second_device) = clock(mqtt), clock(mqtt)
    absent = generate_token()
    headers = {"Content-Type": "text/plain", "Authorization": f"Bearer {first},{absent},{second}"}
    answer = request(system.http_port, "POST", "/cloud?mode=notify", b'New mail from "Bob"', headers)
    assert answer.status == 202
    assert [result.get("delivered") for result in answer.body["results"]] == [True, False, True]
    for token, device in ((first, first_device), (second, second_device)):
        device.expect_only(f"awtrix/{token}/notify", b'{"text":"New mail from \\"Bob\\""}')
    assert not any(token in json.dumps(answer.body) for token in (first, second, absent))


def test_a_hostile_template_is_refused_and_the_worker_keeps_serving(system: System, mqtt: Clients) -> None:
    token, device = clock(mqtt)
    loops = "{% for i in range(60000) %}{% for j in range(60000) %}{% endfor %}{% endfor %}"
    answer = request(
        system.http_port, "POST", f"/cloud?{urlencode({'mode': 'notify', 'token': token, 'template': 'yes', 'text': loops})}"
    )
    assert (answer.status, answer.body["error"]["code"]) == (400, "template_too_expensive")
    assert answer.elapsed_s < 2.0
    assert request(system.http_port, "GET", f"/cloud?mode=notify&token={token}&text=still+here").status == 200
    device.expect_only(f"awtrix/{token}/notify", b'{"text":"still here"}')
