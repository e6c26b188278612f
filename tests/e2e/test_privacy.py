"""No log line of the real processes contains a token, a request body or a client address."""

import secrets
from collections.abc import Iterator

import pytest

from common.tokens import generate_token
from tests.support.http import CLIENT_ADDRESS, request, webhook
from tests.support.mqtt import Device
from tests.support.processes import Process, start_broker, start_gateway

BODY_MARKER = "body-marker-7f3a9c"


@pytest.fixture(scope="module")
def logs_after_traffic() -> Iterator[tuple[str, list[str]]]:
    """Drive every path that could log a token, then stop both processes and return all their output."""
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24)}
    broker, mqtt_port = start_broker(env)
    gateway, http_port = start_gateway({**env, "MQTT_PORT": str(mqtt_port)}, workers=2)
    tokens = [generate_token() for _ in range(5)]
    processes: list[Process] = [broker, gateway]
    try:
        _traffic(mqtt_port, http_port, tokens)
    finally:
        gateway.stop()
        broker.stop()
    yield "".join(p.output for p in processes), tokens


def _traffic(mqtt_port: int, http_port: int, tokens: list[str]) -> None:
    device = Device(mqtt_port, tokens[0], bind_address=CLIENT_ADDRESS)
    assert device.connect() == 0
    device.subscribe(f"awtrix/{tokens[0]}/notify", "#", f"awtrix/{tokens[1]}/#")
    assert webhook(http_port, tokens[0], payload={"text": BODY_MARKER}).status == 200
    device.expect()
    assert webhook(http_port, tokens[1], payload={"text": BODY_MARKER}, via_header=True).status == 202
    assert webhook(http_port, tokens[2], raw=b'{"text": "' + BODY_MARKER.encode() + b'"').status == 400
    assert webhook(http_port, tokens[2], mode="reboot").status == 403
    assert request(http_port, "GET", f"/cloud?mode=notify&token={tokens[3]}").status == 405
    assert request(http_port, "GET", f"/nowhere/{tokens[3]}?token={tokens[3]}").status == 404
    refused = Device(mqtt_port, tokens[4] + "!", bind_address=CLIENT_ADDRESS)
    assert refused.connect() != 0
    refused.close()
    device.close()


def test_no_token_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    output, tokens = logs_after_traffic
    assert output  # the processes did log something
    for token in tokens:
        assert token not in output


def test_no_request_body_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    assert BODY_MARKER not in logs_after_traffic[0]


def test_no_client_address_in_any_log_line(logs_after_traffic: tuple[str, list[str]]) -> None:
    assert CLIENT_ADDRESS not in logs_after_traffic[0]


def test_access_log_still_records_requests(logs_after_traffic: tuple[str, list[str]]) -> None:
    assert "POST /cloud" in logs_after_traffic[0]
