"""Small HTTP clients for driving the real gateway over a socket from a distinct loopback address."""

import http.client
import json
import re
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

# Clients connect from this address so tests can prove it never shows up in any log.
CLIENT_ADDRESS = "127.0.0.5"


@dataclass
class Answer:
    """What the gateway answered."""

    status: int
    headers: dict[str, str]
    body: Any
    elapsed_s: float


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 10
) -> Answer:
    """Send one request to 127.0.0.1:port and return the answer with its JSON body decoded."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(CLIENT_ADDRESS, 0))
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    decoded = json.loads(raw) if raw and "json" in (response.getheader("Content-Type") or "") else raw
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, decoded, elapsed)


def webhook(
    port: int, token: str, mode: str = "notify", payload: Any = None, via_header: bool = False, raw: bytes | None = None
) -> Answer:
    """POST /cloud for token and mode, with the token in the query or in an Authorization header."""
    query = {"mode": mode} if via_header else {"mode": mode, "token": token}
    headers = {"Content-Type": "application/json"}
    if via_header:
        headers["Authorization"] = f"Bearer {token}"
    body = raw if raw is not None else json.dumps(payload if payload is not None else {"text": "hi"}).encode()
    return request(port, "POST", f"/cloud?{urlencode(query, quote_via=quote)}", body, headers)


def wait_for_answer(port: int, token: str, status: int, within_s: float, **kwargs: Any) -> Answer:
    """Send webhooks until one gets status, failing if that takes longer than within_s."""
    deadline = time.monotonic() + within_s
    while True:
        answer = webhook(port, token, **kwargs)
        if answer.status == status:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"still {answer.status} {answer.body} after {within_s} s, wanted {status}")
        time.sleep(0.02)  # pacing between probes, not synchronisation: each probe asks the broker afresh


def webhook_request(token: str, mode: str = "notify", body: bytes = b'{"text":"hi"}') -> bytes:
    """Return the bytes of one keep-alive POST /cloud, for pipelined()."""
    head = f"POST /cloud?mode={quote(mode, safe='/')}&token={token} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
    return head.encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


def pipelined(port: int, requests: list[bytes], batch: int = 100, timeout: float = 10) -> list[int]:
    """Send requests over one keep-alive connection, batch at a time without waiting, and return the statuses in order."""
    statuses: list[int] = []
    buffer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(CLIENT_ADDRESS, 0)) as sock:
        for start in range(0, len(requests), batch):
            chunk = requests[start : start + batch]
            sock.sendall(b"".join(chunk))
            for _ in chunk:
                while (end := _answer_end(buffer)) is None:
                    data = sock.recv(65536)
                    assert data, "the gateway closed the connection"
                    buffer += data
                statuses.append(int(buffer.split(b" ", 2)[1]))
                buffer = buffer[end:]
    return statuses


def _answer_end(buffer: bytes) -> int | None:
    """Return where the first whole answer in buffer ends, or None while it is not all there."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    length = re.search(rb"(?im)^content-length:\s*(\d+)", buffer[:head_end])
    end = head_end + 4 + (int(length.group(1)) if length else 0)
    return end if len(buffer) >= end else None
