"""Frame the worker's answers: a whole HTTP/1.1 response, the interim 100 Continue, and its own error answers."""

import json
import time
from email.utils import formatdate
from http import HTTPStatus

from gateway.errors import ApiError

Status = str
Headers = list[tuple[str, str]]
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUSES = (204, 304)


def encode_response(status: Status, headers: Headers, body: bytes, keep_alive: bool, head_only: bool) -> bytes:
    """Return the bytes of a complete HTTP/1.1 response, with Date, Content-Length and Connection set."""
    code = int(status[:3])
    lines = [f"HTTP/1.1 {status}", f"Date: {http_date()}"]
    has_length = False
    for name, value in headers:
        if name.lower() == "content-length":
            has_length = True
        lines.append(f"{name}: {value}")
    if not has_length and code not in _NO_BODY_STATUSES and code >= 200:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only or code in _NO_BODY_STATUSES else head + body


def error_answer(error: ApiError) -> tuple[Status, Headers, bytes]:
    """Return the status, headers and envelope the worker answers an error with: the app's bytes exactly.

    The app's answers are Flask's compact JSON (sorted keys, no spaces, ASCII, a final newline); the worker's own
    refusals (a malformed request, a timeout, a failure outside the app's handlers) are encoded the same way.
    """
    envelope = {"error": {"code": error.code, "message": error.message}}
    payload = json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    headers = [("Content-Type", "application/json"), *error.headers().items()]
    return f"{error.status} {HTTPStatus(error.status).phrase}", headers, payload


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """Return the current time in the HTTP date format, computed at most once a second."""
    global _date_cache  # a one-entry cache; each worker process is single-threaded
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]
