"""Operating the processes: refusing to start without a secret, broker outages and restarts, clean shutdown."""

import queue
import secrets
import threading
import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from common.tokens import generate_token
from tests.support.http import request, wait_for_answer, webhook
from tests.support.mosquitto import free_ports
from tests.support.processes import POLLING_LIMITS, Process, procfile_command, start_broker, start_gateway


def test_broker_refuses_to_start_without_secret() -> None:
    # the web process has the same test in tests/gateway/serving/test_gunicorn.py
    process = Process(procfile_command("broker"), {"HOST": "127.0.0.1", "MQTT_PORT": "0"}, drop=("GATEWAY_SECRET",))
    code = process.popen.wait(30)
    process.stop()
    assert code != 0
    assert "GATEWAY_SECRET" in process.output


def test_broker_stops_cleanly_on_sigterm() -> None:
    broker, _ = start_broker({"GATEWAY_SECRET": "x" * 24})
    assert broker.stop() == 0
    assert "Traceback" not in broker.output


def test_webhook_answers_503_with_retry_after_quickly_when_broker_is_down() -> None:
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24)}
    broker, mqtt_port = start_broker(env)
    gateway, http_port = start_gateway({**env, "MQTT_PORT": str(mqtt_port)}, workers=2)
    try:
        assert request(http_port, "GET", "/healthz").status in (200, 503)
        broker.stop()
        for _ in range(4):  # each worker notices on its own; every answer must be a fast 503
            answer = webhook(http_port, generate_token())
            assert answer.status == 503, answer.body
            assert answer.elapsed_s < 2.0
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.body["error"]["code"] in ("broker_unavailable", "broker_timeout")
        assert request(http_port, "GET", "/healthz").status == 503
    finally:
        gateway.stop()
        broker.stop()


class ReconnectingDevice:
    """A device written the usual paho way: automatic reconnect, and (re)subscribe in on_connect."""

    def __init__(self, port: int, token: str) -> None:
        self.token = token
        self.connected = threading.Event()
        self.messages: queue.Queue[bytes] = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"reconnecting-{token[:6]}")
        self.client.username_pw_set(token, "x")
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *args: self.connected.clear()
        self.client.on_message = lambda c, u, message: self.messages.put(message.payload)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client: paho.Client, userdata: object, flags: object, reason: object, props: object) -> None:
        client.subscribe(f"awtrix/{self.token}/#")
        self.connected.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.client._reset_sockets()


def test_broker_restart_gives_fast_503s_then_gateway_and_devices_recover_by_themselves() -> None:
    secret = secrets.token_urlsafe(24)
    (mqtt_port,) = free_ports(1)
    env = {"GATEWAY_SECRET": secret, "MQTT_PORT": str(mqtt_port)}
    broker, _ = start_broker(env)
    gateway, http_port = start_gateway({**env, **POLLING_LIMITS}, workers=2)
    token = generate_token()
    device = ReconnectingDevice(mqtt_port, token)
    try:
        assert device.connected.wait(5)
        wait_for_answer(http_port, token, 200, within_s=2.0, payload={"n": "before"})
        broker.stop()
        for _ in range(4):
            answer = webhook(http_port, token)
            assert answer.status == 503 and answer.elapsed_s < 2.0, answer.body
            assert answer.headers["retry-after"] == "1"
        broker, _ = start_broker(env)
        back = time.monotonic()
        answer = wait_for_answer(http_port, token, 200, within_s=5.0, payload={"n": "after"})
        assert time.monotonic() - back <= 5.0
        assert answer.body["delivered"] is True
        # only answers of 200 reached the device: exactly one before the restart and one after
        assert device.messages.get(timeout=5) == b'{"n":"before"}'
        assert device.messages.get(timeout=5) == b'{"n":"after"}'
        assert device.messages.empty()
    finally:
        device.close()
        gateway.stop()
        broker.stop()
