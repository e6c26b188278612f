"""No log line of the real processes contains a token, a request body or a client address, in either LOG_FORMAT."""

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from common.tokens import generate_token
from tests.e2e.conftest import System, start_system
from tests.support.clients import Clients
from tests.support.http import CLIENT_ADDRESS, request, webhook
from tests.support.relays import KINDS

BODY_MARKER = "body-marker-7f3a9c"
LOG_FORMATS = ("text", "json")
JSON_KEYS = {"time", "level", "logger", "event", "fields"}


@dataclass(frozen=True)
class Logs:
    """What the processes logged during the traffic, and the tokens it used."""

    output: str  # everything, the relay broker's own log files included
    own: str  # what our processes printed (the gateway; the embedded broker)
    kind: str
    log_format: str
    tokens: list[str]


@pytest.fixture(scope="module", params=[(kind, log_format) for kind in KINDS for log_format in LOG_FORMATS], ids="-".join)
def logs_after_traffic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logs]:
    """Drive every path that could log a token, then stop the processes and return all they logged."""
    kind, log_format = request.param
    tokens = [generate_token() for _ in range(5)]
    with ExitStack() as stack:
        system = start_system(stack, kind, tmp_path_factory, workers=2, env={"LOG_FORMAT": log_format})
        _traffic(system, tokens)
    yield Logs(system.logs(), system.own_logs(), kind, log_format, tokens)


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


def test_no_token_in_any_log_line(logs_after_traffic: Logs) -> None:
    assert "POST" in logs_after_traffic.output and "/cloud" in logs_after_traffic.output  # the access log is on
    for token in logs_after_traffic.tokens:
        assert token not in logs_after_traffic.output


def test_no_request_body_in_any_log_line(logs_after_traffic: Logs) -> None:
    assert BODY_MARKER not in logs_after_traffic.output


def test_no_client_address_in_any_log_line(logs_after_traffic: Logs) -> None:
    assert CLIENT_ADDRESS not in logs_after_traffic.output


def test_each_line_is_one_json_object_or_none_is(logs_after_traffic: Logs) -> None:
    lines = [line for line in logs_after_traffic.own.splitlines() if line.strip()]
    assert len(lines) > 10
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    if logs_after_traffic.log_format == "text":
        assert parsed.count(None) == len(lines)
        return
    assert None not in parsed, [line for line, record in zip(lines, parsed, strict=True) if record is None]
    assert all(set(record) == JSON_KEYS and isinstance(record["fields"], dict) for record in parsed)
    access = [record["fields"] for record in parsed if record["logger"] == "gunicorn.access"]
    answered = {(fields["method"], fields["path"], fields["status"]) for fields in access}
    assert answered >= {("POST", "/cloud", 200), ("GET", "-", 404)}
    ours = {"gunicorn.error", "gateway.publisher"} | ({"broker.server"} if logs_after_traffic.kind == "embedded" else set())
    assert {record["logger"] for record in parsed} >= ours
