"""The gateway's gunicorn worker over real sockets: keep-alive, pipelining, framing, refusals, timeouts, slow clients."""

import json
import random
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.processes import Process, start_gateway
from tests.support.relays import Relay

TIMEOUT_S = 2  # GUNICORN_TIMEOUT_S for these tests: a request must arrive whole within it
ABSENT = "absent-device-token-0000"


@dataclass
class Answer:
    """One HTTP response read off a socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Web:
    """A gunicorn gateway process (one worker) in front of an embedded broker."""

    process: Process
    port: int
    broker: EmbeddedBroker

    def connect(self) -> socket.socket:
        """Open a client connection."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@contextmanager
def one_worker(**env: str) -> Iterator[Web]:
    """Run a gateway with a single worker, rate limits nobody reaches and env, in front of its own embedded broker."""
    broker = EmbeddedBroker().start()
    settings = {
        "GATEWAY_SECRET": TEST_SECRET,
        "MQTT_PORT": str(broker.port),
        "RATE_LIMIT_PER_TOKEN": "100000/minute",
        "RATE_LIMIT_PER_ADDRESS": "100000/minute",
        **env,
    }
    process, port = start_gateway(settings, workers=1)
    try:
        process.wait_for("connected to the MQTT broker")
        yield Web(process, port, broker)
    finally:
        process.stop()
        broker.stop()


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    """One gateway with a single worker and a short request timeout."""
    with one_worker(GUNICORN_TIMEOUT_S=str(TIMEOUT_S)) as running:
        yield running


def webhook(token: str = ABSENT, body: bytes = b'{"text":"hi"}', extra: bytes = b"") -> bytes:
    """Return the bytes of a POST /cloud with a Content-Length."""
    head = f"POST /cloud?mode=notify&token={token} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    return head.encode() + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_answer(sock: socket.socket, buffer: bytearray) -> Answer:
    """Read one whole response (status line, headers, Content-Length body), leaving any later bytes in buffer."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a whole answer; got {bytes(buffer)!r}"
        buffer += chunk
    head, _, _ = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])}
    start = len(head) + 4
    length = int(headers.get("content-length", "0"))
    while len(buffer) < start + length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        buffer += chunk
    body = bytes(buffer[start : start + length])
    del buffer[: start + length]
    return Answer(int(lines[0].split(" ")[1]), headers, body)


def closed_by_server(sock: socket.socket, within_s: float) -> bool:
    """Return True when the server closes the connection within within_s."""
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_keep_alive_connection_serves_requests_one_after_another(web: Web) -> None:
    with web.connect() as sock:
        buffer = bytearray()
        for _ in range(3):
            sock.sendall(webhook())
            answer = read_answer(sock, buffer)
            assert (answer.status, answer.json()["reason"]) == (202, "no_device_connected")
            assert answer.headers["connection"] == "keep-alive"


def test_pipelined_requests_are_answered_in_order(web: Web) -> None:
    with web.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + webhook() + b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        buffer = bytearray()
        assert [read_answer(sock, buffer).status for _ in range(3)] == [200, 202, 404]


def test_http_1_0_request_is_answered_then_closed(web: Web) -> None:
    with web.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        answer = read_answer(sock, bytearray())
        assert (answer.status, answer.headers["connection"]) == (200, "close")
        assert closed_by_server(sock, 5)


def test_expect_100_continue_gets_its_go_ahead_before_the_body(web: Web) -> None:
    body = b'{"text":"after continue"}'
    request = webhook(body=body, extra=b"Expect: 100-continue\r\n")
    head, _, _ = request.partition(b"\r\n\r\n")
    with web.connect() as sock:
        sock.sendall(head + b"\r\n\r\n")
        buffer = bytearray()
        assert read_answer(sock, buffer).status == 100
        sock.sendall(body)
        assert read_answer(sock, buffer).status == 202


def test_chunked_body_is_delivered_like_any_other(web: Web, token: str) -> None:
    devices = Clients(Relay("embedded", "127.0.0.1", web.broker.port, web.broker.port, "gateway", TEST_SECRET))
    try:
        clock = devices.device(token)
        assert clock.subscribe(f"awtrix/{token}/#") == [0]
        head = f"POST /cloud?mode=notify&token={token} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        chunked = b'6\r\n{"text\r\n8\r\n":"split\r\n2\r\n"}\r\n0\r\n\r\n'
        with web.connect() as sock:
            sock.sendall(head.encode() + b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
            answer = read_answer(sock, bytearray())
        assert (answer.status, answer.json()["delivered"]) == (200, True)
        clock.expect_only(f"awtrix/{token}/notify", b'{"text":"split"}')
    finally:
        devices.close_all()


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (webhook(extra=b"Transfer-Encoding: chunked\r\n"), 400, "bad_request"),
        (b"POST /cloud HTTP/1.1 junk\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\n" + b"X: " + b"a" * 9000 + b"\r\n\r\n", 431, "http_error"),
        (webhook(body=b"x" * 100_000), 413, "body_too_large"),
    ],
    ids=["length-and-chunked", "bad-request-line", "huge-header", "body-over-the-limit"],
)
def test_refused_requests_get_the_error_envelope_and_the_connection_closes(
    web: Web, raw: bytes, status: int, code: str
) -> None:
    with web.connect() as sock:
        sock.sendall(raw)
        answer = read_answer(sock, bytearray())
        assert (answer.status, answer.json()["error"]["code"]) == (status, code)
        assert answer.headers["connection"] == "close"
        assert closed_by_server(sock, 5)


def test_request_that_never_arrives_whole_gets_408_after_the_timeout(web: Web) -> None:
    with web.connect() as sock:
        started = time.monotonic()
        sock.sendall(webhook()[:40])
        answer = read_answer(sock, bytearray())
        assert (answer.status, answer.json()["error"]["code"]) == (408, "http_error")
        assert TIMEOUT_S <= time.monotonic() - started < TIMEOUT_S + 2.5
        assert closed_by_server(sock, 5)


def test_idle_keep_alive_connection_is_closed_after_the_keepalive_time(web: Web) -> None:
    with web.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_answer(sock, bytearray()).status == 200
        assert closed_by_server(sock, 5)  # gunicorn's keepalive (2 s) plus at most one sweep


def test_slow_client_does_not_hold_up_the_single_worker(web: Web) -> None:
    with web.connect() as slow, web.connect() as fast:
        slow.sendall(webhook()[:30])  # and nothing more for now
        started = time.monotonic()
        fast.sendall(webhook())
        assert read_answer(fast, bytearray()).status == 202
        assert time.monotonic() - started < 1.0
        slow.sendall(webhook()[30:])
        assert read_answer(slow, bytearray()).status == 202


def test_sigterm_lets_the_worker_finish_and_exit_while_clients_stay_connected(web: Web) -> None:
    env = {"GATEWAY_SECRET": TEST_SECRET, "MQTT_PORT": str(web.broker.port)}
    process, port = start_gateway(env, workers=1)
    try:
        process.wait_for("connected to the MQTT broker")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_answer(idle, bytearray()).status == 200
            started = time.monotonic()
            assert process.stop() == 0
            assert time.monotonic() - started < 5.0
            assert closed_by_server(idle, 1)
    finally:
        process.stop()


def mutations(seed: int, count: int) -> list[bytes]:
    """Return count mangled variants of a valid webhook: bytes replaced, separators inserted, cut short."""
    rng = random.Random(seed)
    valid = webhook(extra=b"Authorization: Bearer absent-device-token-0000\r\n")
    inserts = [b"\r\n", b"\n", b":", b" ", b"\x00", b"\t", b"chunked", b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\n"]
    variants = []
    for _ in range(count):
        raw = bytearray(valid)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(raw))
            if rng.random() < 0.5:
                raw[position] = rng.randrange(256)
            else:
                raw[position:position] = rng.choice(inserts)
        if rng.random() < 0.2:
            del raw[rng.randrange(len(raw)) :]
        variants.append(bytes(raw))
    return variants


def test_mangled_requests_get_an_answer_or_a_close_and_never_break_the_worker(web: Web) -> None:
    statuses = set()
    for raw in mutations(seed=7, count=300):
        with web.connect() as sock:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)  # nothing more is coming: an incomplete request is just closed
            buffer = bytearray()
            while chunk := sock.recv(65536):
                buffer += chunk
        if buffer:
            assert buffer.startswith(b"HTTP/1.1 "), bytes(buffer[:80])
            statuses.add(int(buffer[9:12]))
    assert statuses <= {200, 202, 400, 404, 405, 413, 415, 417, 431, 501, 505}, statuses
    assert {400, 202} <= statuses
    assert "Traceback" not in web.process.output
    assert web.process.output.count("Booting worker") == 1  # the same worker served them all
    with web.connect() as sock:
        sock.sendall(webhook())
        assert read_answer(sock, bytearray()).status == 202
