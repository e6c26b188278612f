"""The gateway's rules for a request head that llhttp has accepted, and the status of every refusal.

llhttp (strict, through httptools) validates the syntax before these rules run: CRLF line ends, token header names
with the colon right after them, no control bytes in values, one well-formed Content-Length, never Content-Length
with Transfer-Encoding. So the head's bytes split exactly, and what is left to refuse is what llhttp lets through
and the gateway does not serve: another protocol's or version's request line (llhttp reads `RTSP/1.0` as 1.0 and
accepts `HTTP/2.0`), a target that is not a path, a missing or doubled Host, a transfer coding other than `chunked`
alone (llhttp takes `gzip, chunked` as chunked), chunked in HTTP/1.0, an Expect other than 100-continue.
"""

from dataclasses import dataclass

import httptools

from gateway.errors import ApiError, BadRequest, HttpError

MAX_HEAD_BYTES = 16 * 1024  # empty lines before it, request line and headers; a webhook's are well under 2 KiB
MAX_LINE_BYTES = 8190  # the request line, and each header line (gunicorn's limit too)
MAX_HEADERS = 100
_VERSIONS = (" HTTP/1.1", " HTTP/1.0")
# Headers the rules look at, found by the length of their name first (most headers are none of these).
_WATCHED = {4: "host", 6: "expect", 14: "content-length", 17: "transfer-encoding"}
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# httptools gives no error number, only llhttp's reason: the statuses that are not 400 follow from these texts.
# Pinned with httptools (requirements.txt); tests/gateway/serving/test_requests.py fails if one changes.
_STATUS_OF_REASON = {
    "Invalid HTTP version": 505,
    "Invalid `Transfer-Encoding` header value": 501,
    "Request has invalid `Transfer-Encoding`": 501,
}


class HttpProblem(Exception):
    """The request cannot be served: answer with error, then close the connection."""

    def __init__(self, error: ApiError) -> None:
        """Keep the error to answer with."""
        super().__init__(error.message)
        self.error = error


@dataclass(slots=True)
class Head:
    """A request line and header block, as llhttp and the rules below accepted them."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    content_length: int = 0
    chunked: bool = False
    keep_alive: bool = True  # known once the whole request is read (a trailer may say Connection: close)
    expects_continue: bool = False
    oversized: bool = False  # a declared Content-Length over the body limit: the body is never read


def refuse(status: int, message: str) -> HttpProblem:
    """Return the problem to raise for a refusal with status (400 is bad_request, any other http_error)."""
    return HttpProblem(BadRequest(message) if status == 400 else HttpError(status, message))


def read_head(raw: bytes | bytearray, parser: httptools.HttpRequestParser, body_limit: int) -> Head:
    """Return the head in raw (request line through CRLF CRLF); raise HttpProblem for what the gateway refuses."""
    lines = raw[:-4].decode("latin-1").split("\r\n")  # the head ends with CRLF CRLF
    head = _request_line(lines[0], parser)
    if len(lines) > MAX_HEADERS + 1:
        raise refuse(431, "The request has too many headers.")
    if len(raw) > MAX_LINE_BYTES and max(map(len, lines)) > MAX_LINE_BYTES:
        raise refuse(431, "A request header is too large.")
    hosts, lengths, codings, expect = 0, "", [], []
    append, watching = head.headers.append, _WATCHED.get
    for line in lines[1:]:
        name, _, value = line.partition(":")
        value = value.strip(" \t")
        append((name, value))
        watched = watching(len(name))
        if watched is None or (lowered := name.lower()) != watched:
            continue
        if lowered == "host":
            hosts += 1
        elif lowered == "content-length":
            lengths = value  # llhttp refuses a second one, and anything but digits
        elif lowered == "transfer-encoding":
            codings.append(value.lower())
        else:
            expect.append(value.lower())
    if hosts > 1 or (hosts == 0 and head.version == "HTTP/1.1"):
        raise refuse(400, "An HTTP/1.1 request carries exactly one Host header.")
    _frame_body(head, lengths, codings, parser, body_limit)
    if expect:
        if expect != ["100-continue"]:
            raise refuse(417, "Only 'Expect: 100-continue' is supported.")
        head.expects_continue = head.version == "HTTP/1.1"
    return head


def _request_line(line: str, parser: httptools.HttpRequestParser) -> Head:
    if len(line) > MAX_LINE_BYTES:
        raise refuse(414, "The request line is too long.")
    if line.count(" ") != 2 or not line.endswith(_VERSIONS):
        # llhttp reports a version it parsed, e.g. 2.0; RTSP/1.0 it reports as 1.0, which the line's end refuses.
        is_http = line.count(" ") == 2 and line.rsplit(" ", 1)[1].startswith("HTTP/")
        is_other_version = is_http and parser.get_http_version() not in ("0.9", "1.0", "1.1")
        if is_other_version:
            raise refuse(505, "Only HTTP/1.0 and HTTP/1.1 are supported.")
        raise refuse(400, "The request line is malformed.")
    method, target, version = line.split(" ")
    if not method.isupper():  # llhttp knows upper-case methods only; the rule stands on its own too
        raise refuse(400, "Methods are upper-case.")
    if target[0] != "/":
        raise refuse(400, "The request target must be a path.")  # absolute form, authority (CONNECT), '*'
    return Head(method, target, version, [])


def _frame_body(head: Head, length: str, codings: list[str], parser: httptools.HttpRequestParser, limit: int) -> None:
    if codings:
        if head.version != "HTTP/1.1":
            raise refuse(400, "Transfer-Encoding is only accepted in HTTP/1.1.")
        if codings != ["chunked"]:
            raise refuse(501, "The only transfer coding accepted is chunked.")
        if parser.should_upgrade():
            raise refuse(501, "A chunked body with Upgrade is not supported.")
        head.chunked = True
    elif length:
        head.content_length = int(length)
        head.oversized = head.content_length > limit


def llhttp_problem(err: httptools.HttpParserError, head: bytes | bytearray) -> HttpProblem:
    """Return the problem to answer for an error llhttp raised while reading a request that began with head."""
    if isinstance(err, httptools.HttpParserInvalidMethodError):  # llhttp knows upper-case methods only
        word = bytes(head.split(b" ", 1)[0])
        if not word or any(byte not in _TOKEN for byte in word):
            return refuse(400, "The request line is malformed.")
        if word != word.upper():
            return refuse(400, "Methods are upper-case.")
        return refuse(501, "The method is not implemented.")
    reason = str(err)
    return refuse(_STATUS_OF_REASON.get(reason, 400), f"The request is malformed ({reason}).")
