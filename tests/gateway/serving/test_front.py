"""The public front of a real gunicorn: lenient HTTP refused and what follows it never served, time and connection limits."""

import re
import socket
import time
from collections.abc import Iterator

import pytest

from tests.gateway.serving.test_worker import Web, closed_by_server, one_worker, read_answer, webhook
from tests.support.http_attacks import LENIENT_CASES

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 4  # GUNICORN_TIMEOUT_S
PER_ADDRESS = 3
CAPACITY = 24
CAPPED_ADDRESS = "127.0.0.7"
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def front() -> Iterator[Web]:
    """One gateway worker with short time limits, a small per-address cap and a small capacity."""
    with one_worker(
        GUNICORN_TIMEOUT_S=str(BODY_TIMEOUT_S),
        HTTP_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        MAX_CONNECTIONS_PER_ADDRESS=str(PER_ADDRESS),
        GUNICORN_WORKER_CONNECTIONS=str(CAPACITY),
    ) as running:
        yield running


def connect(web: Web, source: str = "127.0.0.1") -> socket.socket:
    """Open a connection from a given loopback address."""
    return socket.create_connection(("127.0.0.1", web.port), timeout=10, source_address=(source, 0))


def everything_until_closed(sock: socket.socket) -> bytes:
    """Read until the server closes the connection."""
    received = bytearray()
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return bytes(received)


@pytest.mark.parametrize(("raw", "status"), [case[1:] for case in LENIENT_CASES], ids=[case[0] for case in LENIENT_CASES])
def test_lenient_http_is_refused_with_400_and_what_follows_it_is_never_served(front: Web, raw: bytes, status: int) -> None:
    with connect(front) as sock:
        sock.sendall(raw + webhook())  # a valid webhook pipelined behind: a 202 would show it was served
        received = everything_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 %d " % status), received[:80]
    assert len(re.findall(rb"(?:^|\n)HTTP/1\.1 \d{3} ", received)) == 1, received  # one answer, never the webhook's
    assert b"Connection: close\r\n" in received
    assert b'\r\n\r\n{"error":{"code":"bad_request","message":' in received  # the app's compact JSON


def test_three_pipelined_requests_then_a_half_close_get_three_answers(front: Web) -> None:
    with connect(front) as sock:
        sock.sendall(HEALTHZ + webhook() + b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        buffer = bytearray()
        assert [read_answer(sock, buffer).status for _ in range(3)] == [200, 202, 404]
        assert closed_by_server(sock, 5)


def test_options_is_answered_405_with_allow_in_the_envelope(front: Web) -> None:
    with connect(front) as sock:
        sock.sendall(b"OPTIONS /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_answer(sock, bytearray())
    assert (answer.status, answer.json()["error"]["code"]) == (405, "method_not_allowed")
    assert answer.headers["content-type"] == "application/json"
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_a_head_not_sent_in_time_gets_408_well_before_the_request_timeout(front: Web) -> None:
    with connect(front) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /cloud HTTP/1.1\r\nHost: x\r\n")
        answer = read_answer(sock, bytearray())
        took = time.monotonic() - started
        assert (answer.status, answer.json()["error"]["code"]) == (408, "http_error")
        assert HEADER_TIMEOUT_S <= took < HEADER_TIMEOUT_S + 1.5 < BODY_TIMEOUT_S
        assert closed_by_server(sock, 5)
    front.process.wait_for(r"connections in the last second: .*answered 408", timeout=3)


def test_a_body_has_until_the_request_timeout(front: Web) -> None:
    request = webhook()
    with connect(front) as sock:
        started = time.monotonic()
        sock.sendall(request[:-3])  # the whole head, all but 3 bytes of the body
        answer = read_answer(sock, bytearray())
        assert answer.status == 408 and time.monotonic() - started >= BODY_TIMEOUT_S


def test_one_address_holds_at_most_its_share_of_connections(front: Web) -> None:
    held = [connect(front, CAPPED_ADDRESS) for _ in range(PER_ADDRESS)]
    try:
        for sock in held:  # each is served (and so accepted before the next)
            sock.sendall(HEALTHZ)
            assert read_answer(sock, bytearray()).status == 200
        with connect(front, CAPPED_ADDRESS) as extra:
            answer = read_answer(extra, bytearray())
            assert (answer.status, answer.json()["error"]["code"]) == (429, "too_many_connections")
            assert answer.headers["retry-after"] == "1" and closed_by_server(extra, 5)
        front.process.wait_for(r"connections in the last second: .*1 refused over the per-address cap \(429\)", timeout=3)
        with connect(front) as other:  # another address is not affected
            other.sendall(HEALTHZ)
            assert read_answer(other, bytearray()).status == 200
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:  # the worker notices the close at its next turn; then the address has room again
            with connect(front, CAPPED_ADDRESS) as again:
                again.sendall(HEALTHZ)
                if read_answer(again, bytearray()).status == 200:
                    break
            assert time.monotonic() < deadline, "the closed connection's place was never given back"
    finally:
        for sock in held:
            sock.close()


def test_at_capacity_the_slowest_connections_make_room_for_a_webhook(front: Web) -> None:
    sources = [f"127.0.1.{n}" for n in range(1, CAPACITY + 4)]
    slow = []
    try:
        for source in sources:  # more slow heads than the worker holds, each from its own address
            sock = connect(front, source)
            sock.sendall(b"POST /cloud HTTP/1.1\r\n")
            slow.append(sock)
        started = time.monotonic()
        with connect(front) as normal:
            for sock in slow:  # each has bytes to read in the same turn as the new connection that closes some
                sock.sendall(b"H")
            normal.sendall(webhook())
            assert read_answer(normal, bytearray()).status == 202
        assert time.monotonic() - started < 1.0
        assert closed_by_server(slow[0], 2)  # the one that had been sending longest went first
    finally:
        for sock in slow:
            sock.close()
    front.process.wait_for(r"connections in the last second: \d+ closed for new ones at capacity", timeout=3)
    assert "Exception in worker process" not in front.process.output
