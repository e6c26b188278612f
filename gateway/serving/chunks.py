"""Find where a chunked body ends without parsing it: the sizes llhttp will read, from the size lines it will check.

httptools reports no chunk size (its on_chunk_header carries none), yet the reader must never feed llhttp past the
last chunk. So each size line is read here first, then fed to llhttp, which validates it: where llhttp accepts a
line, its size is the same hex number (strict llhttp allows no spaces and no 0x); where it refuses one, it stops
there. Each step costs what the new bytes cost: a body dribbled one chunk per packet is never scanned again.
"""

from gateway.serving.heads import refuse

MAX_CHUNK_LINE_BYTES = 1024  # a size line with its extensions
_MAX_SIZE_DIGITS = 16
_HEX_DIGITS = b"0123456789abcdefABCDEF"


class ChunkScanner:
    """Follow one chunked body through its size lines, counting its framing bytes and its size."""

    def __init__(self, body_limit: int) -> None:
        """Scan a body that may be at most body_limit bytes."""
        self.body_limit = body_limit
        self.framing = 0  # size lines (with extensions) and the CRLF after each chunk's data
        self.size = 0
        self._left = 0  # data and CRLF still due in the current chunk; 0 at a size line
        self._line = b""  # a size line cut by the end of what has arrived

    def scan(self, buf: bytes, pos: int) -> tuple[int, bool]:
        """Return (bytes from pos to feed, whether they end with the last-chunk line); raise HttpProblem if bad."""
        at, end, left = pos, len(buf), self._left
        while at < end:
            if left:
                step = min(left, end - at)
                at, left = at + step, left - step
                continue
            room = MAX_CHUNK_LINE_BYTES - len(self._line)
            newline = buf.find(b"\n", at, at + room)
            if newline < 0:
                self._line += buf[at : at + room]
                if len(self._line) >= MAX_CHUNK_LINE_BYTES:
                    raise refuse(400, "A chunk size line is too long.")
                at = end
                break
            line, self._line = self._line + buf[at : newline + 1], b""
            at = newline + 1
            size = self._size_of(line)
            if size == 0:
                self._left = 0
                return at - pos, True
            left = size + 2
        self._left = left
        return at - pos, False

    def _size_of(self, line: bytes) -> int:
        digits = line.split(b";", 1)[0].rstrip(b"\r\n")
        if not digits or len(digits) > _MAX_SIZE_DIGITS or digits.lstrip(_HEX_DIGITS):
            raise refuse(400, "A chunk size line is malformed.")
        size = int(digits, 16)
        self.framing += len(line) + 2 * (size > 0)
        self.size += size
        if self.size > self.body_limit:
            raise refuse(413, "The request's body is too large.")
        return size
