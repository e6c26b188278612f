"""Mosquitto's log and output never hold a token, a client id made of one, or a client's address; nor the gateway's JSON logs."""

import json
from pathlib import Path

import pytest

from common.tokens import generate_token
from tests.support.clients import MQTT5, Clients
from tests.support.http import CLIENT_ADDRESS, webhook
from tests.support.mosquitto import HOST, MosquittoRelay, run_relay
from tests.support.processes import start_gateway
from tests.support.relays import from_mosquitto


def noisy_session(mqtt: Clients, token: str, other: str) -> None:
    """Connect, subscribe, get refused and get disconnected in every way this config makes happen."""
    clock = mqtt.device(token, client_id=f"id-{token}", will=(f"awtrix/{token}/stats/device", "offline", 0, False))
    clock.subscribe("#", "$SYS/#", f"awtrix/{other}/#", f"awtrix/{token}/#")
    clock.send(f"awtrix/{other}/notify", b"{}")
    clock.send("homeassistant/light/x/config", b"{}")
    clock.send(f"awtrix/{token}/stats", b"{}")
    clock.sync()
    gateway = mqtt.gateway()
    gateway.publish(f"awtrix/{token}/notify", b"{}")
    gateway.publish(f"awtrix/{other}/notify", b"{}")
    # A username Mosquitto calls "dangerous" (it holds +): the "notice" log type would print it.
    dangerous = mqtt.device(f"{token}+x", client_id=f"dangerous-{token}")
    dangerous.send(f"awtrix/{token}/stats", b"{}")
    dangerous.sync()
    for port, username, password in [
        (mqtt.broker.gateway_port, token, "guess"),
        (mqtt.broker.gateway_port, "gateway", token),
    ]:
        mqtt.new(port, username, password, client_id=f"refused-{token}", protocol=MQTT5).connect()
    for sender, how in [("qos", {"qos": 1}), ("size", {})]:
        rude = mqtt.device(token, client_id=f"{sender}-{token}")
        rude.send(f"awtrix/{token}/stats", b"x" * (9000 if sender == "size" else 1), **how)
        rude.wait_disconnected()
    mqtt.device(token, client_id=f"ng-{token}", will=(f"awtrix/{token}/availability", "offline", 0, True)).sync()
    mqtt.device(other, client_id=f"id-{token}").sync()  # takes over the first client id
    mqtt.close_all()


def session_output(tmp_path: Path, drop: tuple[str, ...]) -> tuple[MosquittoRelay, str, str, str]:
    """Run the noisy session on a fresh broker and return everything it wrote once stopped."""
    token, other = generate_token(), generate_token()
    with run_relay(tmp_path / "relay", drop=drop) as broker:
        noisy_session(Clients(from_mosquitto(broker)), token, other)
    return broker, broker.log_path.read_text() + broker.output_path.read_text(), token, other


def test_log_never_names_a_token_or_an_address(tmp_path: Path) -> None:
    broker, written, token, other = session_output(tmp_path, drop=())

    assert broker.log_path.exists()
    assert token not in written
    assert other not in written
    assert HOST not in written


def test_same_session_with_mosquitto_default_logging_leaks_tokens_and_addresses(tmp_path: Path) -> None:
    # Shows the session above exercises the lines that leak: without the shipped logging settings,
    # Mosquitto prints usernames, client ids and addresses.
    _, written, token, _ = session_output(tmp_path, drop=("connection_messages", "log_type"))

    assert f"u'{token}'" in written
    assert f'dangerous username "{token}+x"' in written
    assert f"from {HOST}:" in written


@pytest.mark.parametrize("log_type", ["notice", "information", "subscribe"])
def test_each_log_type_left_out_would_print_a_token(tmp_path: Path, log_type: str) -> None:
    token, other = generate_token(), generate_token()
    with run_relay(tmp_path / "relay", extra=[f"log_type {log_type}"]) as broker:
        noisy_session(Clients(from_mosquitto(broker)), token, other)

    assert token in broker.log_path.read_text()


def test_with_json_logs_neither_the_gateway_nor_mosquitto_names_a_token(tmp_path: Path) -> None:
    token, other = generate_token(), generate_token()
    with run_relay(tmp_path / "relay") as broker:
        relay = from_mosquitto(broker)
        gateway, port = start_gateway({**relay.gateway_env(), "LOG_FORMAT": "json"}, workers=1)
        mqtt = Clients(relay)
        try:
            gateway.wait_for("connected to the MQTT broker")
            mqtt.device(token).subscribe(f"awtrix/{token}/#")
            assert webhook(port, token).status == 200
            assert webhook(port, other, via_header=True).status == 202
            noisy_session(Clients(relay), token, other)
        finally:
            mqtt.close_all()
            gateway.stop()
    written = broker.log_path.read_text() + broker.output_path.read_text()
    lines = [json.loads(line) for line in gateway.output.splitlines() if line.strip()]
    assert any(record["logger"] == "gunicorn.access" for record in lines)
    for secret in (token, other):
        assert secret not in written and secret not in gateway.output
    assert CLIENT_ADDRESS not in gateway.output  # the address webhooks came from
