"""Deployment as the README describes it: `make run`, an external broker via MQTT_URL, several gateways."""

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from common.tokens import generate_token
from tests.e2e.conftest import start_system
from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.http import request, wait_for_answer, webhook
from tests.support.mosquitto import free_ports
from tests.support.processes import POLLING_LIMITS, Process, start_gateway
from tests.support.relays import KINDS, Relay, mosquitto_relay

MAKE_RUN_S = 60.0  # a fresh clone's first `make run` also creates the virtualenv


def _make_run(env: dict[str, str]) -> Process:
    return Process(["make", "run"], env, drop=("GATEWAY_SECRET", "MQTT_URL"), new_session=True)


def test_make_run_starts_gateway_and_embedded_broker_and_ctrl_c_stops_both() -> None:
    http_port, mqtt_port = free_ports(2)
    run = _make_run({"PORT": str(http_port), "MQTT_PORT": str(mqtt_port)})
    try:
        run.wait_for(r"connected to the MQTT broker", timeout=MAKE_RUN_S)
        token = generate_token()
        mqtt = Clients(Relay("embedded", "127.0.0.1", mqtt_port, mqtt_port, "gateway", ""))
        try:
            mqtt.device(token).subscribe(f"awtrix/{token}/#")
            assert webhook(http_port, token).status == 200
        finally:
            mqtt.close_all()
    finally:
        run.interrupt()
    assert "web.1" in run.output and "broker.1" in run.output
    assert "Traceback" not in run.output
    assert not run.lingered
    for port in (http_port, mqtt_port):  # both processes are gone: nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Relay]:
    """Debian's Mosquitto from the shipped config."""
    with mosquitto_relay(tmp_path / "relay") as relay:
        yield relay


def test_make_run_with_mqtt_url_starts_only_the_gateway(mosquitto: Relay) -> None:
    (http_port,) = free_ports(1)
    run = _make_run({"PORT": str(http_port), **mosquitto.gateway_env()})
    try:
        run.wait_for(r"connected to the MQTT broker", timeout=MAKE_RUN_S)
        assert webhook(http_port, generate_token()).status == 202
    finally:
        run.interrupt()
    assert "web.1" in run.output
    assert "broker.1" not in run.output
    assert not run.lingered


@pytest.mark.parametrize("kind", KINDS)
def test_two_gateway_instances_in_front_of_one_broker_both_deliver(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    with ExitStack() as stack:
        first = start_system(stack, kind, tmp_path_factory, workers=2)
        second, second_port = start_gateway({**first.relay.gateway_env(), **POLLING_LIMITS}, workers=2)
        stack.callback(second.stop)
        second.wait_for(r"connected to the MQTT broker", timeout=20)
        token = generate_token()
        mqtt = Clients(first.relay)
        stack.callback(mqtt.close_all)
        clock = mqtt.device(token)
        clock.subscribe(f"awtrix/{token}/notify")
        assert webhook(first.http_port, token, payload={"via": 1}).status == 200
        assert webhook(second_port, token, payload={"via": 2}).status == 200
        clock.expect_only(f"awtrix/{token}/notify", b'{"via":1}')
        clock.expect_only(f"awtrix/{token}/notify", b'{"via":2}')


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mqtt://gateway:x@127.0.0.1:{closed_port}", r"cannot reach the MQTT broker at 127\.0\.0\.1:\d+"),
        ("mqtt://gateway:wrong-password@127.0.0.1:{gateway_port}", r"refused the gateway's login"),
    ],
    ids=["unreachable", "bad-credentials"],
)
def test_broken_mqtt_url_is_explained_in_one_line_and_webhooks_get_503(mosquitto: Relay, url: str, problem: str) -> None:
    (closed_port,) = free_ports(1)
    env = {"MQTT_URL": url.format(closed_port=closed_port, gateway_port=mosquitto.gateway_port)}
    gateway, http_port = start_gateway(env, workers=2)
    try:
        gateway.wait_for(problem, timeout=20)
        answer = webhook(http_port, generate_token())
        assert answer.status == 503 and answer.elapsed_s < 2.0
        assert answer.headers["retry-after"] == "1"
        assert answer.body["error"]["code"] == "broker_unavailable"
        assert request(http_port, "GET", "/healthz").status == 503
    finally:
        gateway.stop()
    assert "wrong-password" not in gateway.output
    lines = [line for line in gateway.output.splitlines() if problem.split(" ")[0] in line]
    assert 1 <= len(lines) <= 2  # one line per worker at most, not one per retry


def test_mqtt_url_to_a_broker_without_mqtt5_answers_delivered_null() -> None:
    # Our embedded broker speaks MQTT 3.1.1 only and refuses an MQTT 5 CONNECT; reached through MQTT_URL (not
    # as the embedded broker, whose receipts the gateway then does not expect) it stands for any such broker.
    running = EmbeddedBroker().start()
    try:
        url = f"mqtt://gateway:{TEST_SECRET}@127.0.0.1:{running.port}"
        gateway, http_port = start_gateway({"MQTT_URL": url, **POLLING_LIMITS}, workers=1)
        try:
            gateway.wait_for(r"does not speak MQTT 5", timeout=20)
            gateway.wait_for(r"connected to the MQTT broker .* \(MQTT 3\.1\.1\)", timeout=20)
            answer = wait_for_answer(http_port, generate_token(), 200, within_s=5)
            assert answer.body == {"delivered": None, "reason": "broker_gives_no_delivery_signal", "mode": "notify"}
        finally:
            gateway.stop()
    finally:
        running.stop()
