"""`python -m bench.components`: CPU per call of each piece of a webhook, measured in one process, one at a time.

Starts the Procfile's broker, then times (process CPU, including the kernel's share of socket calls):
the minimal Flask app (bench/ceiling.py) called as WSGI; the gateway app with a publisher that does nothing,
with its metrics off and on (GATEWAY_METRICS_PORT: counting only, the flush is once a second); one publish on
the gateway's own link to the embedded broker, alone and pipelined in batches of PIPELINED (as the gateway's
worker sends a turn's publishes, gateway/publishing/embedded/pipeline.py); the same through paho's network
thread (the publisher the gateway used before, still used for external brokers); and the whole gateway app
publishing for real, one call at a time. Each figure is the median of ROUNDS rounds of CALLS calls. No device
is connected, so the broker routes to nobody and the publisher hears "no device" (the gateway answers 202).
"""

import io
import os
import secrets
import select
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bench.ceiling import app as ceiling_app
from gateway.app import create_app
from gateway.publishing.embedded.link import BrokerLink
from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.publishing.mqtt.mqtt_client import MqttPublisher
from gateway.publishing.reconnect import client_id
from gateway.serving.wsgi_call import call_app
from gateway.settings import BrokerSettings, GatewaySettings, RateLimitSettings
from tests.support.processes import start_broker

CALLS = 2000
PIPELINED = 16
ROUNDS = 5
TOKEN = "components-bench-token"
TOPIC = f"awtrix/{TOKEN}/notify"
BODY = b'{"text":"bench","ts":1}'
UNLIMITED = RateLimitSettings(per_token="1000000 per 1 second", per_address="1000000 per 1 second")


class NoPublisher:
    """A publisher that publishes nothing and says a device got it: the gateway app's own cost."""

    connected = True

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Do nothing."""
        return True


def environ() -> dict[str, Any]:
    """Return a fresh WSGI environ for POST /cloud?mode=notify&token=TOKEN with BODY."""
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/cloud",
        "QUERY_STRING": f"mode=notify&token={TOKEN}",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(BODY),
        "wsgi.errors": sys.stderr,
    }


def request(app: Callable[..., Any]) -> Callable[[], object]:
    """Return a function that runs one request through a WSGI app, as the gateway's worker calls it."""
    return lambda: call_app(app, environ())


def pipelined(link: BrokerLink, batch: int) -> Callable[[], object]:
    """Return a function that queues batch publishes, sends them in one write and reads every answer."""

    def run() -> None:
        for _ in range(batch):
            link.queue(TOPIC, BODY)
        while not link.flush():
            select.select([], [link], [])
        waiting = batch
        while waiting:
            select.select([link], [], [])
            waiting -= len(link.answers())

    return run


def cpu_us(action: Callable[[], object]) -> float:
    """Return the median process CPU in microseconds per call of action."""
    for _ in range(CALLS // 10):
        action()
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(CALLS):
            action()
        rounds.append((time.process_time() - started) / CALLS * 1e6)
    return statistics.median(rounds)


def main() -> int:
    """Print one line per piece."""
    secret = secrets.token_urlsafe(24)
    broker, port = start_broker({"GATEWAY_SECRET": secret})
    embedded = BrokerSettings("127.0.0.1", port, "gateway", secret)
    link = EmbeddedPublisher(embedded, 1.5)
    paho = MqttPublisher(BrokerSettings("127.0.0.1", port, "gateway", secret, external=True), 1.5)
    batched = BrokerLink.open(embedded, client_id(), 1.5)
    batched.nonblocking()
    try:
        assert link.wait_until(True, 10) and paho.wait_until(True, 10), "could not connect to the broker"
        settings = GatewaySettings(broker=embedded, rate_limits=UNLIMITED)
        # name -> (one call, how many of what the name counts it does)
        pieces: dict[str, tuple[Callable[[], object], int]] = {
            "minimal Flask app (bench/ceiling.py), WSGI call": (request(ceiling_app), 1),
            "gateway app, publisher doing nothing": (request(create_app(settings, NoPublisher())), 1),
            "the same, metrics on (GATEWAY_METRICS_PORT; counting only, the flush is once a second)": (
                request(create_app(replace(settings, metrics_port=0), NoPublisher())), 1),
            "publish on the gateway's own link (gateway/publishing/embedded/link.py)": (lambda: link.publish(TOPIC, BODY), 1),
            f"the same, per publish, pipelined {PIPELINED} at a time": (pipelined(batched, PIPELINED), PIPELINED),
            "publish through paho's network thread (gateway/publishing/mqtt/)": (lambda: paho.publish(TOPIC, BODY), 1),
            "gateway app, publishing on its link": (request(create_app(settings, link)), 1),
        }
        print(f"CPU per call, median of {ROUNDS} x {CALLS} calls, pid {os.getpid()}:")
        for name, (action, each) in pieces.items():
            print(f"  {cpu_us(action) / each:7.0f} µs  {name}", flush=True)
    finally:
        batched.close()
        link.stop()
        paho.stop()
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
