"""The worker's pipeline to the embedded broker (gateway/publishing/embedded/pipeline.py): through a real gunicorn
worker, and driven directly the way the worker drives it.

The broker is a separate process so that it can be frozen (SIGSTOP): connected, but answering nothing.
"""

import secrets
import select
import selectors
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from greenlet import greenlet

from gateway.errors import ApiError
from gateway.publishing.embedded.pipeline import Pipeline
from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.settings import BrokerSettings
from tests.gateway.conftest import WAIT_S
from tests.gateway.serving.test_worker import read_answer, webhook
from tests.support.clients import Clients
from tests.support.processes import Process, start_broker, start_gateway
from tests.support.relays import Relay


@dataclass
class Relayed:
    """A broker process and a one-worker gateway in front of it."""

    broker: Process
    broker_port: int
    secret: str
    gateway: Process
    port: int
    devices: Clients

    def connect(self) -> socket.socket:
        """Open a client connection to the gateway."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def freeze(self) -> None:
        """Stop the broker process: its connections stay open, and it answers nothing."""
        self.broker.popen.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let the broker process run again."""
        self.broker.popen.send_signal(signal.SIGCONT)

    def health_within(self, seconds: float) -> None:
        """Ask GET /healthz on a new connection and assert the 200 comes within seconds.

        The single worker handles what arrived earlier first, so afterwards every request sent before it has
        been read and is waiting for the broker.
        """
        with self.connect() as sock:
            started = time.monotonic()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(sock, bytearray()).status == 200
            assert time.monotonic() - started < seconds


@pytest.fixture
def relayed() -> Iterator[Callable[..., Relayed]]:
    """Start a broker process and a gateway with one worker and the given PUBLISH_TIMEOUT_S."""
    with ExitStack() as stack:

        def start(publish_timeout_s: float) -> Relayed:
            secret = secrets.token_urlsafe(24)
            broker, broker_port = start_broker({"GATEWAY_SECRET": secret})
            stack.callback(broker.stop)
            stack.callback(broker.popen.send_signal, signal.SIGCONT)  # runs first: a frozen broker cannot stop
            env = {
                "GATEWAY_SECRET": secret,
                "MQTT_PORT": str(broker_port),
                "PUBLISH_TIMEOUT_S": str(publish_timeout_s),
                "RATE_LIMIT_PER_TOKEN": "100000/minute",
                "RATE_LIMIT_PER_ADDRESS": "100000/minute",
            }
            gateway, port = start_gateway(env, workers=1)
            stack.callback(gateway.stop)
            gateway.wait_for("connected to the MQTT broker")
            devices = Clients(Relay("embedded", "127.0.0.1", broker_port, broker_port, "gateway", secret))
            stack.callback(devices.close_all)
            return Relayed(broker, broker_port, secret, gateway, port, devices)

        yield start


def socket_buffers_bytes() -> int:
    """Return the most a TCP connection's send and receive buffers can hold here, together (at least 20 MB)."""
    most = 0
    for name in ("tcp_rmem", "tcp_wmem"):
        with open(f"/proc/sys/net/ipv4/{name}") as limits:
            most += int(limits.read().split()[2])
    return max(most, 20_000_000)


def send_all(relayed: Relayed, tokens: list[str], stack: ExitStack) -> list[socket.socket]:
    """Send one webhook per token, each on its own connection, and return the connections."""
    connections = []
    for n, token in enumerate(tokens):
        sock = stack.enter_context(relayed.connect())
        sock.sendall(webhook(token, body=b'{"text":"n%d"}' % n))
        connections.append(sock)
    return connections


def test_a_worker_waiting_on_the_broker_serves_other_requests_and_each_gets_its_own_receipt(
    relayed: Callable[..., Relayed],
) -> None:
    system = relayed(publish_timeout_s=10)
    present = [f"pipeline-present-{n:02d}-{secrets.token_hex(4)}" for n in range(10)]
    absent = [f"pipeline-absent-{n:02d}-{secrets.token_hex(4)}" for n in range(10)]
    clocks = {token: system.devices.device(token) for token in present}
    for token, clock in clocks.items():
        assert clock.subscribe(f"awtrix/{token}/#") == [0]
    tokens = [token for pair in zip(present, absent, strict=True) for token in pair]
    with ExitStack() as stack:
        system.freeze()
        connections = send_all(system, tokens, stack)
        # Twenty publishes wait for the frozen broker; the single worker still answers anything else at once.
        system.health_within(2.0)
        system.thaw()
        answers = [read_answer(sock, bytearray()) for sock in connections]
    for n, (token, answer) in enumerate(zip(tokens, answers, strict=True)):
        if token in clocks:
            assert (answer.status, answer.json()) == (200, {"delivered": True, "mode": "notify"})
            clocks[token].expect_only(f"awtrix/{token}/notify", b'{"text":"n%d"}' % n)
        else:
            assert (answer.status, answer.json()["reason"]) == (202, "no_device_connected")


def test_silent_broker_answers_every_waiting_request_503_broker_timeout_then_a_new_link_delivers(
    relayed: Callable[..., Relayed],
) -> None:
    system = relayed(publish_timeout_s=0.5)
    token = f"pipeline-timeout-{secrets.token_hex(4)}"
    clock = system.devices.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    with ExitStack() as stack:
        system.freeze()
        started = time.monotonic()
        connections = send_all(system, [token] * 5, stack)
        answers = [read_answer(sock, bytearray()) for sock in connections]
        waited = time.monotonic() - started
        system.thaw()
    assert [(answer.status, answer.json()["error"]["code"]) for answer in answers] == [(503, "broker_timeout")] * 5
    assert all(answer.headers["retry-after"] == "1" for answer in answers)
    assert 0.5 <= waited < 3.0
    # The link was given up; the next webhook opens a new one and is delivered.
    with system.connect() as sock:
        sock.sendall(webhook(token, body=b'{"text":"after"}'))
        assert read_answer(sock, bytearray()).json() == {"delivered": True, "mode": "notify"}
    system.gateway.wait_for(r"\[INFO\] gateway.publisher: connected to the MQTT broker")


def test_broker_that_dies_under_waiting_requests_gets_them_503_broker_unavailable(
    relayed: Callable[..., Relayed],
) -> None:
    system = relayed(publish_timeout_s=10)
    tokens = [f"pipeline-dies-{n}-{secrets.token_hex(4)}" for n in range(3)]
    with ExitStack() as stack:
        system.freeze()
        connections = send_all(system, tokens, stack)
        system.health_within(2.0)
        started = time.monotonic()
        system.broker.popen.kill()  # its sockets close: the gateway's link ends under the waiting requests
        answers = [read_answer(sock, bytearray()) for sock in connections]
    assert time.monotonic() - started < 5.0
    for answer in answers:
        assert (answer.status, answer.json()["error"]["code"]) == (503, "broker_unavailable")
        assert "may still arrive" in answer.json()["error"]["message"]
    system.gateway.wait_for("lost the connection to the MQTT broker")


def test_client_that_closes_its_side_while_its_publish_waits_still_gets_the_answer(
    relayed: Callable[..., Relayed],
) -> None:
    system = relayed(publish_timeout_s=10)
    token = f"pipeline-half-closed-{secrets.token_hex(4)}"
    clock = system.devices.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    with system.connect() as sock:
        system.freeze()
        sock.sendall(webhook(token))
        sock.shutdown(socket.SHUT_WR)
        system.health_within(2.0)  # the worker has read the request and the end of the connection by now
        system.thaw()
        buffer = bytearray()
        answer = read_answer(sock, buffer)
        assert (answer.status, answer.json()) == (200, {"delivered": True, "mode": "notify"})
        assert answer.headers["connection"] == "close"
        assert sock.recv(1) == b""  # then the connection is closed
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')


def test_requests_sent_ahead_of_a_waiting_one_wait_in_the_clients_socket_not_in_the_worker(
    relayed: Callable[..., Relayed],
) -> None:
    system = relayed(publish_timeout_s=10)
    one = webhook(f"pipeline-ahead-{secrets.token_hex(4)}")
    with system.connect() as sock:
        system.freeze()
        sock.sendall(one)
        system.health_within(2.0)  # the first request waits for the broker
        # Pipelined requests, twice what the kernel's socket buffers can hold (at least 40 MB), so unless the
        # worker reads them all into memory, sending stalls.
        sock.settimeout(2.0)
        with pytest.raises(TimeoutError):
            sock.sendall(one * (socket_buffers_bytes() * 2 // len(one)))
        system.health_within(2.0)  # and the worker serves everyone else meanwhile
        system.thaw()
        answer = read_answer(sock, bytearray())
        assert (answer.status, answer.json()["reason"]) == (202, "no_device_connected")


@pytest.fixture
def broker_process() -> Iterator[tuple[Process, BrokerSettings]]:
    """A broker process (so that it can be frozen) and the gateway's settings for it."""
    secret = secrets.token_urlsafe(24)
    broker, port = start_broker({"GATEWAY_SECRET": secret})
    try:
        yield broker, BrokerSettings("127.0.0.1", port, "gateway", secret)
    finally:
        broker.popen.send_signal(signal.SIGCONT)
        broker.stop()


@dataclass
class Driven:
    """A pipeline driven by the test the way the worker drives it: the test is the hub."""

    publisher: EmbeddedPublisher
    selector: selectors.BaseSelector
    pipeline: Pipeline


@pytest.fixture
def driven(broker_process: tuple[Process, BrokerSettings]) -> Iterator[Callable[[float], Driven]]:
    """Make pipelines to the broker process with a given PUBLISH_TIMEOUT_S; close them afterwards."""
    made: list[Driven] = []

    def make(publish_timeout_s: float) -> Driven:
        publisher = EmbeddedPublisher(broker_process[1], publish_timeout_s)
        selector = selectors.DefaultSelector()
        publisher.pipeline = Pipeline(publisher, selector)
        made.append(Driven(publisher, selector, publisher.pipeline))
        return made[-1]

    yield make
    for one in made:
        one.pipeline.close()
        one.selector.close()


def start_publishing(pipeline: Pipeline, publisher: EmbeddedPublisher, topics: list[str], payload: bytes) -> list[Any]:
    """Publish to each topic from its own greenlet, as the worker's requests do; return where results will be."""
    results: list[Any] = [None] * len(topics)

    def publish(n: int) -> None:
        try:
            results[n] = publisher.publish(topics[n], payload)
        except ApiError as err:
            results[n] = err.code

    for n in range(len(topics)):
        greenlet(publish).switch(n)  # runs until it waits for the broker
    assert pipeline.in_flight == len(topics)
    return results


def run_hub(pipeline: Pipeline, selector: selectors.BaseSelector, results: list[Any]) -> None:
    """Turn the loop the way the worker does until every publish has its result."""
    deadline = time.monotonic() + WAIT_S
    while None in results:
        assert time.monotonic() < deadline, f"{results.count(None)} publishes still waiting"
        for key, events in selector.select(0.5):
            key.data.on_ready(events)
        pipeline.flush()
        pipeline.expire(time.monotonic())


def test_more_than_the_socket_takes_at_once_goes_out_whole_when_there_is_room(
    broker_process: tuple[Process, BrokerSettings], driven: Callable[[float], Driven]
) -> None:
    broker = broker_process[0]
    one = driven(10)
    publisher, selector, pipeline = one.publisher, one.selector, one.pipeline
    assert pipeline.connected
    broker.popen.send_signal(signal.SIGSTOP)
    topics = [f"awtrix/pipeline-room-{n:04d}/notify" for n in range(3000)]
    results = start_publishing(pipeline, publisher, topics, b'{"text":"%s"}' % (b"x" * 7000))
    pipeline.flush()  # 21 MB: more than the socket buffers of both sides hold while the broker sleeps
    assert selector.get_key(pipeline._link).events == selectors.EVENT_READ | selectors.EVENT_WRITE  # type: ignore[arg-type]
    broker.popen.send_signal(signal.SIGCONT)
    run_hub(pipeline, selector, results)
    # Every message reached the broker intact (a torn packet would have closed the link: broker_unavailable).
    assert results == [False] * len(topics)
    assert selector.get_key(pipeline._link).events == selectors.EVENT_READ  # type: ignore[arg-type]


def test_answers_that_arrived_in_time_are_taken_before_the_link_is_given_up(driven: Callable[[float], Driven]) -> None:
    one = driven(0.5)
    publisher, pipeline = one.publisher, one.pipeline
    results = start_publishing(pipeline, publisher, ["awtrix/pipeline-late-reader/notify"] * 3, b"{}")
    pipeline.flush()
    assert select.select([pipeline._link], [], [], WAIT_S)[0]  # the answers are there, not read yet
    # A worker busy for longer than PUBLISH_TIMEOUT_S gets to its deadlines before it reads them.
    pipeline.expire(time.monotonic() + 1.0)
    assert results == [False] * 3
    assert pipeline.connected and pipeline.in_flight == 0
