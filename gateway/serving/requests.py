"""One connection's request reader: llhttp (httptools, strict) parses, the gateway's rules (heads.py) sit on top.

    reader = RequestReader(body_limit=8192)
    reader.receive(sock.recv(65536))          # kept, not parsed yet
    taken = reader.next_request()             # (head, body) once one request is whole, else None; HttpProblem if bad
    if reader.take_continue(): ...            # the client waits for "100 Continue" before sending its body

httptools (0.9.0) cannot pause llhttp after one message, exposes no byte offset when parsing fails, and one
feed_data() parses every pipelined request in its buffer. So llhttp is never given a byte past the end of the
request being read: the head up to the first CRLF CRLF (strict llhttp ends a head nowhere else), a Content-Length
body by its length, a chunked body by its chunk sizes up to the last chunk (chunks.py), then the trailers up to the
next CRLF CRLF. What follows stays here unparsed until the worker asks for the next request, so a request pipelined
behind a malformed one is never parsed, and read-ahead is bounded by what the worker reads.

Every byte counts against the request's budget before llhttp sees it: MAX_HEAD_BYTES for the empty lines before it
and its head (431), then the body limit for the body (413) and MAX_FRAMING_BYTES for everything else after the head
(chunk size lines, extensions, CRLFs, trailers; 413). Kept per connection: the head (at most MAX_HEAD_BYTES), the
body (at most the limit) and the bytes received but not parsed. The first problem is final: the reader drops what
it holds and raises it again on every later call.
"""

import httptools

from gateway.serving.chunks import ChunkScanner
from gateway.serving.heads import MAX_HEAD_BYTES, MAX_LINE_BYTES, Head, HttpProblem, llhttp_problem, read_head, refuse

MAX_FRAMING_BYTES = 64 * 1024
_HEAD, _BODY, _CHUNKS, _TRAILERS, _RAW_BODY = range(5)
_CRLF2 = b"\r\n\r\n"


class RequestReader:
    """Turn one connection's bytes into whole requests, one at a time (see the module docstring)."""

    def __init__(self, body_limit: int) -> None:
        """Read requests whose bodies are at most body_limit bytes."""
        self.body_limit = body_limit
        self.received = 0  # every byte the client sent on this connection and the reader took in
        self._parser = httptools.HttpRequestParser(self)  # self is its protocol: the on_* methods below
        self._buf, self._pos = b"", 0  # the bytes not parsed yet are self._buf[self._pos:]
        self._error: HttpProblem | None = None
        self._done: tuple[Head, bytes] | None = None
        self._closed = False  # a request without keep-alive was read: nothing after it is parsed
        self._start()

    @property
    def pending(self) -> int:
        """Return how many bytes were received and not parsed yet."""
        return len(self._buf) - self._pos

    @property
    def reading_head(self) -> bool:
        """Return True until the head of the request being read is whole."""
        return self._mode == _HEAD

    def take_continue(self) -> bool:
        """Return True once per request whose head asked for 100-continue while its body has not arrived."""
        due, self._continue_due = self._continue_due, False
        return due

    def close(self) -> None:
        """Give back what the reader holds, at once: llhttp's parser and the reader refer to each other."""
        self._parser = None  # type: ignore[assignment]  # (a cycle the garbage collector would otherwise wait for)
        self._buf, self._head, self._body, self._done = b"", b"", [], None
        self._error = self._error or refuse(400, "The connection is closed.")

    def receive(self, data: bytes) -> None:
        """Keep data the client sent, to be parsed by next_request()."""
        self.received += len(data)
        if self._error is not None or self._closed:
            return
        if self._pos < len(self._buf):
            self._buf = self._buf[self._pos :] + data
        else:
            self._buf = data
        self._pos = 0

    def next_request(self) -> tuple[Head, bytes] | None:
        """Parse what was received until one request is whole and return it, or None; raise HttpProblem if bad."""
        if self._error is not None:
            raise self._error
        try:
            while self._done is None and self._pos < len(self._buf) and not self._closed and self._step():
                pass
        except HttpProblem as problem:
            self._fail(problem)
        except httptools.HttpParserError as err:  # a problem raised in a callback arrives wrapped
            self._fail(self._problem or llhttp_problem(err, self._head))
        if self._pos == len(self._buf):
            self._buf, self._pos = b"", 0  # give the last receive's bytes back
        done, self._done = self._done, None
        return done

    def _fail(self, problem: HttpProblem) -> None:
        self._error, self._buf, self._pos = problem, b"", 0
        self._head, self._body = b"", []
        raise problem

    def _step(self) -> bool:
        """Feed llhttp the next piece of the current request; return False when more bytes are needed first."""
        mode = self._mode
        if mode == _HEAD:
            return self._step_head()
        buf, pos = self._buf, self._pos
        if mode == _BODY:
            n = min(self._left, len(buf) - pos)
            self._left -= n
            self._feed(memoryview(buf)[pos : pos + n], n)
        elif mode == _CHUNKS:
            chunks = self._chunks or ChunkScanner(self.body_limit)
            self._chunks = chunks
            n, last = chunks.scan(buf, pos)
            self._framing = chunks.framing
            if self._framing > MAX_FRAMING_BYTES:
                raise refuse(413, "The request's chunk framing is too large.")
            if last:
                self._mode, self._tail = _TRAILERS, b"\r\n"
            self._feed(memoryview(buf)[pos : pos + n], n)
        elif mode == _TRAILERS:
            n = self._through_crlf2(MAX_FRAMING_BYTES + 1 - self._framing)
            self._framing += n
            if self._framing > MAX_FRAMING_BYTES:
                raise refuse(413, "The request's trailers are too large.")
            piece = buf[pos : pos + n]
            self._tail = (self._tail + piece[-3:])[-3:]
            self._feed(piece, n)
        else:  # _RAW_BODY: the body of an Upgrade request, which llhttp skips: read here by its Content-Length
            n = min(self._left, len(buf) - pos)
            self._pos += n
            self._body.append(buf[pos : pos + n])
            self._left -= n
            if self._left == 0:
                self._finish()
        return True

    def _step_head(self) -> bool:
        buf, pos = self._buf, self._pos
        if not self._head:
            if buf[pos] in b"\r\n":
                return self._skip_empty_line()
            end = buf.find(_CRLF2, pos, pos + MAX_HEAD_BYTES - self._head_bytes)
            if end >= 0:  # the usual case, the whole head at once: fed in one piece, checked once (heads.py)
                return self._whole_head(end + 4 - pos)
        if self._head_bytes >= MAX_HEAD_BYTES:
            raise refuse(431, "The request's headers are too large.")
        n = self._through_crlf2(MAX_HEAD_BYTES - self._head_bytes)
        piece = buf[pos : pos + n]
        self._head_bytes += n
        head = self._head = bytearray(self._head) if type(self._head) is bytes else self._head
        head += piece
        if not self._line_seen:
            self._line_seen = piece.find(b"\n") >= 0
            if not self._line_seen and len(head) > MAX_LINE_BYTES + 2:
                raise refuse(414, "The request line is too long.")
        self._tail = bytes(head[-3:])
        self._feed(piece, n)
        self._after_head()
        return True

    def _whole_head(self, n: int) -> bool:
        """Feed a head that arrived whole, and its Content-Length body with it when that is here too."""
        self._head = self._buf[self._pos : self._pos + n]
        self._head_bytes += n
        self._feed(self._head, n)
        self._after_head()
        left, pos = self._left, self._pos
        if self._mode == _BODY and len(self._buf) - pos >= left:  # a webhook's body comes in the same packet
            self._left = 0
            self._feed(memoryview(self._buf)[pos : pos + left], left)
        return True

    def _after_head(self) -> None:
        if self._head_read and self._mode == _HEAD:  # a body follows (else the request was complete)
            self._mode, self._left = (_CHUNKS, 0) if self._chunked else (_BODY, self._length)

    def _skip_empty_line(self) -> bool:
        """Skip one CRLF before a request line (RFC 9112 section 2.2); a bare LF or CR is refused."""
        buf, pos = self._buf, self._pos
        if buf[pos] == 13 and pos + 1 == len(buf):
            return False  # its LF has not arrived yet
        if buf[pos : pos + 2] != b"\r\n":
            raise refuse(400, "An empty line before a request must end with CRLF.")
        if self._head_bytes + 2 > MAX_HEAD_BYTES:
            raise refuse(431, "The request's headers are too large.")
        self._head_bytes += 2
        self._pos += 2
        return True

    def _through_crlf2(self, room: int) -> int:
        """Return how many bytes to feed: through the first CRLF CRLF (one begun in the last piece too), at most room."""
        buf, pos, tail = self._buf, self._pos, self._tail
        if tail and (at := (tail + buf[pos : pos + 3]).find(_CRLF2)) >= 0:
            return at + 4 - len(tail)
        end = buf.find(_CRLF2, pos, pos + room)
        return end + 4 - pos if end >= 0 else min(len(buf) - pos, room)

    def _feed(self, piece: bytes | memoryview, n: int) -> None:
        self._pos += n
        try:
            self._parser.feed_data(piece)
        except httptools.HttpParserUpgrade as upgrade:  # llhttp skipped the body of an Upgrade the gateway ignores
            self._pos -= n - upgrade.args[0]  # 0 in practice: a head is fed up to its end
            self._mode, self._left = _RAW_BODY, self._length
            if self._left == 0:
                self._finish()

    # llhttp's callbacks. No on_url or on_header: llhttp has validated the head, so splitting it once (heads.py) is
    # exact and cheaper than a Python call per header. Trailers are validated by llhttp and dropped.
    def on_headers_complete(self) -> None:
        """Apply the gateway's rules to the head llhttp accepted."""
        try:
            head = read_head(self._head, self._parser, self.body_limit)
        except HttpProblem as problem:
            self._problem = problem  # httptools wraps what a callback raises in HttpParserCallbackError
            raise
        self._head_read, self._request = True, head
        self._chunked, self._length = head.chunked, 0 if head.oversized else head.content_length
        self._continue_due = head.expects_continue and not head.oversized and (head.chunked or head.content_length > 0)
        if head.oversized:
            # Not read at all: the app answers 413 from the declared length, and the connection closes after.
            self._done, self._closed = (head, b""), True

    def on_body(self, piece: bytes) -> None:
        """Keep a piece of the body."""
        self._body.append(piece)
        self._body_len += len(piece)
        if self._body_len > self.body_limit:
            self._problem = refuse(413, "The request's body is too large.")
            raise self._problem

    def on_message_complete(self) -> None:
        """Hand the request over, unless llhttp skipped an Upgrade's body that is still to be read."""
        if not self._parser.should_upgrade():
            self._finish()

    def _start(self) -> None:
        self._mode = self._left = self._length = self._head_bytes = self._framing = self._body_len = 0  # _HEAD is 0
        self._head: bytes | bytearray = b""
        self._tail = b""
        self._chunked = self._line_seen = self._head_read = self._continue_due = False
        self._body: list[bytes] = []
        self._chunks: ChunkScanner | None = None
        self._problem: HttpProblem | None = None

    def _finish(self) -> None:
        head = self._request
        head.keep_alive = self._parser.should_keep_alive()  # (a Connection: close trailer counts too)
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        self._done, self._closed = (head, body), not head.keep_alive
        self._start()
