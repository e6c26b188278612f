"""Operating the processes: refusing to start without a secret, broker outages, clean shutdown."""

import secrets

from common.tokens import generate_token
from tests.support.http import request, webhook
from tests.support.processes import Process, procfile_command, start_broker, start_gateway


def test_broker_refuses_to_start_without_secret() -> None:
    # the web process has the same test in tests/gateway/test_gunicorn.py
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
