"""Parse HTTP/1.0 and 1.1 requests strictly from a buffer, and frame responses (pure functions, no I/O).

Strict on purpose: anything two HTTP implementations might read differently (Content-Length together with
Transfer-Encoding, duplicate lengths, folded or space-padded header names, bare LF line ends) is refused
with 400, so a proxy in front of the gateway and the gateway always agree where a request ends.
"""

import re
import time
from dataclasses import dataclass
from email.utils import formatdate

from gateway.errors import ApiError, BadRequest, BodyTooLarge, HttpError

MAX_HEAD_BYTES = 16 * 1024  # request line and headers; a webhook's are well under 2 KiB
MAX_LINE_BYTES = 8190  # the request line, and each header line (gunicorn's limit too)
MAX_HEADERS = 100
MAX_CHUNK_LINE_BYTES = 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(r"/[\x21-\x7e]*")
_VERSION = re.compile(r"HTTP/\d\.\d")
_DIGITS = re.compile(r"\d{1,15}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,8}")
_NO_BODY_STATUSES = (204, 304)


class HttpProblem(Exception):
    """The request cannot be served; answer with error and close the connection."""

    def __init__(self, error: ApiError) -> None:
        """Keep the error to answer with."""
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class Head:
    """A parsed request line and header block."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    end: int  # offset of the first body byte in the buffer
    content_length: int = 0
    chunked: bool = False
    keep_alive: bool = True
    expects_continue: bool = False


def parse_head(buffer: bytes | bytearray) -> Head | None:
    """Return the request head at the start of buffer, None while it is incomplete; raise HttpProblem if invalid."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise HttpProblem(HttpError(431, "The request's headers are too large."))
        if b"\n\n" in buffer or b"\r\n\n" in buffer:
            raise HttpProblem(BadRequest("Lines must end with CRLF."))
        return None
    if end > MAX_HEAD_BYTES:
        raise HttpProblem(HttpError(431, "The request's headers are too large."))
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    head = _request_line(lines[0], end + 4)
    if len(lines) - 1 > MAX_HEADERS:
        raise HttpProblem(HttpError(431, "The request has too many headers."))
    lengths, codings, connection, expect = [], [], [], []
    for line in lines[1:]:
        name, value = _header(line)
        head.headers.append((name, value))
        lowered = name.lower()
        if lowered == "content-length":
            lengths.append(value)
        elif lowered == "transfer-encoding":
            codings.append(value.lower())
        elif lowered == "connection":
            connection += [token.strip().lower() for token in value.split(",")]
        elif lowered == "expect":
            expect.append(value.lower())
    _frame_body(head, lengths, codings)
    if head.version == "HTTP/1.1":
        head.keep_alive = "close" not in connection
    else:
        head.keep_alive = "keep-alive" in connection
    if expect:
        if expect != ["100-continue"]:
            raise HttpProblem(HttpError(417, "Only 'Expect: 100-continue' is supported."))
        head.expects_continue = head.version == "HTTP/1.1"
    return head


def _request_line(line: str, end: int) -> Head:
    if len(line) > MAX_LINE_BYTES:
        raise HttpProblem(HttpError(414, "The request line is too long."))
    parts = line.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise HttpProblem(BadRequest("The request line is malformed."))
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        if _VERSION.fullmatch(version):
            raise HttpProblem(HttpError(505, "Only HTTP/1.0 and HTTP/1.1 are supported."))
        raise HttpProblem(BadRequest("The request line is malformed."))
    return Head(method, target, version, [], end)


def _header(line: str) -> tuple[str, str]:
    if len(line) > MAX_LINE_BYTES:
        raise HttpProblem(HttpError(431, "A request header is too large."))
    name, colon, value = line.partition(":")
    if not colon or not _TOKEN.fullmatch(name):  # also refuses folded lines and spaces before the colon
        raise HttpProblem(BadRequest("A request header is malformed."))
    value = value.strip(" \t")
    if "\x00" in value or "\n" in value or "\r" in value:
        raise HttpProblem(BadRequest("A request header is malformed."))
    return name, value


def _frame_body(head: Head, lengths: list[str], codings: list[str]) -> None:
    if codings:
        if lengths or head.version != "HTTP/1.1":
            raise HttpProblem(BadRequest("Transfer-Encoding is only accepted alone, in HTTP/1.1."))
        if codings != ["chunked"]:
            raise HttpProblem(HttpError(501, "The only transfer coding accepted is chunked."))
        head.chunked = True
    elif lengths:
        if len(lengths) > 1 or not _DIGITS.fullmatch(lengths[0]):
            raise HttpProblem(BadRequest("Content-Length is malformed."))
        head.content_length = int(lengths[0])


def take_chunked(buffer: bytes | bytearray, start: int, limit: int) -> tuple[bytes, int] | None:
    """Return (body, end offset) once a whole chunked body starts at start; None until then.

    Raise HttpProblem when it is malformed or its size passes limit.
    """
    position, parts, size_so_far = start, [], 0
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            if len(buffer) - position > MAX_CHUNK_LINE_BYTES:
                raise HttpProblem(BadRequest("A chunk size line is malformed."))
            return None
        size_field = bytes(buffer[position:line_end]).split(b";", 1)[0].strip(b" \t")
        if not _HEX.fullmatch(size_field):
            raise HttpProblem(BadRequest("A chunk size line is malformed."))
        size, position = int(size_field, 16), line_end + 2
        if size == 0:
            return _after_trailers(buffer, position, b"".join(parts))
        size_so_far += size
        if size_so_far > limit:
            raise HttpProblem(BodyTooLarge())
        if len(buffer) < position + size + 2:
            return None
        if buffer[position + size : position + size + 2] != b"\r\n":
            raise HttpProblem(BadRequest("A chunk is malformed."))
        parts.append(bytes(buffer[position : position + size]))
        position += size + 2


def _after_trailers(buffer: bytes | bytearray, position: int, body: bytes) -> tuple[bytes, int] | None:
    start = position
    while True:  # trailer fields are read past and ignored
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            if len(buffer) - start > MAX_HEAD_BYTES:
                raise HttpProblem(HttpError(431, "The request's trailers are too large."))
            return None
        if line_end == position:
            return body, line_end + 2
        position = line_end + 2


def encode_response(status: str, headers: list[tuple[str, str]], body: bytes, keep_alive: bool, head_only: bool) -> bytes:
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


_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """Return the current time in the HTTP date format, computed at most once a second."""
    global _date_cache  # a one-entry cache; each worker process is single-threaded
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]
