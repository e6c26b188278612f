"""ArduinoJson 6.21.5's deserializeJson on ESP32, in Python: does a payload fit an N-byte JsonDocument?

The reference model of /work/fw-facts.md §A5.6, verified byte-exact against the real library compiled for 32
bits (error code and memoryUsage() on 8,000 payloads around each boundary); only reformatted here. AWTRIX 3
parses each command into a document of fixed size (a notify into 6144 bytes) and silently drops a body that
fails with NoMemory or TooDeep. Strings are copied into the pool and deduplicated; each value costs a 16-byte
slot; the nesting limit is 10 containers.
"""

SLOT = 16
NESTING = 10
_UNESCAPE = {0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 12, 0x6E: 10, 0x72: 13, 0x74: 9}
_LITERALS = ((0x74, b"true"), (0x66, b"false"), (0x6E, b"null"))


class _Failed(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


class _Pool:
    """The document's memory pool: strings grow from the left, 16-byte slots from the right."""

    def __init__(self, capacity: int, slot: int) -> None:
        self.capacity = (capacity + 3) & ~3
        self.slot = slot
        self.strings: list[bytes] = []
        self.str_bytes = 0
        self.var_bytes = 0
        self.overflowed = False

    def free(self) -> int:
        return self.capacity - self.str_bytes - self.var_bytes

    def alloc_slot(self) -> bool:
        if self.free() < self.slot:
            self.overflowed = True
            return False
        self.var_bytes += self.slot
        return True

    def commit(self, string: bytes) -> None:
        if string in self.strings:  # deduplication: an exact match with any committed string
            return
        self.strings.append(string)
        self.str_bytes += len(string) + 1

    def usage(self) -> int:
        return self.str_bytes + self.var_bytes


class _Copier:
    """A string being built in the pool's free space."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.cap = 0
        self.buf = bytearray()

    def start(self) -> None:
        self.cap = self.pool.free()
        self.buf = bytearray()
        if self.cap == 0:
            self.pool.overflowed = True

    def append(self, byte: int) -> None:
        if len(self.buf) + 1 < self.cap:
            self.buf.append(byte)
        else:
            self.pool.overflowed = True


def _isdigit(c: int) -> bool:
    return 48 <= c <= 57


def _in_number(c: int) -> bool:
    return _isdigit(c) or c in b"+-.eE"


def _in_nonquoted(c: int) -> bool:
    return _isdigit(c) or 0x5F <= c <= 0x7A or 0x41 <= c <= 0x5A


def _number_ok(s: bytes) -> bool:
    i = 0
    if i < len(s) and s[i] in b"+-":
        i += 1
    if not (i < len(s) and (_isdigit(s[i]) or s[i] == 0x2E)):
        return False
    while i < len(s) and _isdigit(s[i]):
        i += 1
    if i < len(s) and s[i] == 0x2E:
        i += 1
        while i < len(s) and _isdigit(s[i]):
            i += 1
    if i < len(s) and s[i] in b"eE":
        i += 1
        if i < len(s) and s[i] in b"+-":
            i += 1
        while i < len(s) and _isdigit(s[i]):
            i += 1
    return i == len(s)


def _utf8(cp: int) -> bytes:
    if cp < 0x80:
        return bytes([cp])
    if cp < 0x800:
        return bytes([0xC0 | cp >> 6, 0x80 | cp & 0x3F])
    if cp < 0x10000:
        return bytes([0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])
    return bytes([0xF0 | cp >> 18, 0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F])


class _Parser:
    """JsonDeserializer over a C string (everything from the first NUL byte on is invisible)."""

    def __init__(self, data: bytes, pool: _Pool) -> None:
        end = data.find(b"\0")
        self.s = data if end < 0 else data[:end]
        self.i = 0
        self.pool = pool
        self.cp = _Copier(pool)
        self.found = False

    def cur(self) -> int:
        return self.s[self.i] if self.i < len(self.s) else 0

    def move(self) -> None:
        self.i += 1

    def ws(self) -> None:
        while True:
            c = self.cur()
            if c == 0:
                raise _Failed("IncompleteInput" if self.found else "EmptyInput")
            if c in b" \t\r\n":
                self.move()
                continue
            self.found = True
            return

    def variant(self, lim: int) -> str:
        self.ws()
        c = self.cur()
        if c == 0x5B:
            return self.array(lim)
        if c == 0x7B:
            return self.obj(lim)
        if c in (0x22, 0x27):
            self.cp.start()
            self.quoted()
            self.pool.commit(bytes(self.cp.buf))
            return "str"
        for ch, word in _LITERALS:
            if c == ch:
                self.kw(word)
                return "lit"
        buf = bytearray()
        while _in_number(self.cur()) and len(buf) < 63:
            buf.append(self.cur())
            self.move()
        if not _number_ok(bytes(buf)):
            raise _Failed("InvalidInput")
        return "num"

    def kw(self, word: bytes) -> None:
        for ch in word:
            c = self.cur()
            if c == 0:
                raise _Failed("IncompleteInput")
            if c != ch:
                raise _Failed("InvalidInput")
            self.move()

    def array(self, lim: int) -> str:
        if lim == 0:
            raise _Failed("TooDeep")
        self.move()
        self.ws()
        if self.cur() == 0x5D:
            self.move()
            return "arr"
        while True:
            if not self.pool.alloc_slot():  # the slot BEFORE the value
                raise _Failed("NoMemory")
            self.variant(lim - 1)
            self.ws()
            if self.cur() == 0x5D:
                self.move()
                return "arr"
            if self.cur() != 0x2C:
                raise _Failed("InvalidInput")
            self.move()

    def obj(self, lim: int) -> str:
        if lim == 0:
            raise _Failed("TooDeep")
        self.move()
        self.ws()
        if self.cur() == 0x7D:
            self.move()
            return "obj"
        keys: list[bytes] = []
        while True:
            self.key()
            key = bytes(self.cp.buf)
            ckey = key.split(b"\0", 1)[0]
            if ckey not in keys:
                self.pool.commit(key)  # the key BEFORE the slot
                if not self.pool.alloc_slot():
                    raise _Failed("NoMemory")
                keys.append(ckey)
            self.variant(lim - 1)
            self.ws()
            if self.cur() == 0x7D:
                self.move()
                return "obj"
            if self.cur() != 0x2C:
                raise _Failed("InvalidInput")
            self.move()
            self.ws()

    def key(self) -> None:
        self.cp.start()
        if self.cur() in (0x22, 0x27):
            self.quoted()
        else:
            if not _in_nonquoted(self.cur()):
                raise _Failed("InvalidInput")
            while _in_nonquoted(self.cur()):
                self.cp.append(self.cur())
                self.move()
            if self.pool.overflowed:
                raise _Failed("NoMemory")
        self.ws()
        if self.cur() != 0x3A:
            raise _Failed("InvalidInput")
        self.move()

    def hex4(self) -> int:
        value = 0
        for _ in range(4):
            c = self.cur()
            if c == 0:
                raise _Failed("IncompleteInput")
            digit = c - 0x30 if c < 0x41 else (c & ~0x20) - 0x41 + 10
            if digit < 0 or digit > 15:
                raise _Failed("InvalidInput")
            value = value << 4 | digit
            self.move()
        return value

    def quoted(self) -> None:
        stop = self.cur()
        self.move()
        high = 0
        while True:
            c = self.cur()
            self.move()
            if c == stop:
                break
            if c == 0:
                raise _Failed("IncompleteInput")
            if c == 0x5C:
                c = self.cur()
                if c == 0:
                    raise _Failed("IncompleteInput")
                if c == 0x75:
                    self.move()
                    u = self.hex4()
                    if 0xD800 <= u < 0xDC00:
                        high = u & 0x3FF
                        continue
                    cp = 0x10000 + (high << 10 | u & 0x3FF) if 0xDC00 <= u < 0xE000 else u
                    for byte in _utf8(cp):
                        self.cp.append(byte)
                    continue
                if c not in _UNESCAPE:
                    raise _Failed("InvalidInput")
                c = _UNESCAPE[c]
                self.move()
            self.cp.append(c)
        if self.pool.overflowed:
            raise _Failed("NoMemory")


def deserialize(data: bytes, capacity: int, slot: int = SLOT, nesting: int = NESTING) -> tuple[str, int, str | None]:
    """Return (error, memoryUsage, root kind) exactly as ArduinoJson 6.21.5's deserializeJson(doc, const char*)."""
    pool = _Pool(capacity, slot)
    parser = _Parser(data, pool)
    try:
        kind = parser.variant(nesting)
        if kind == "num" and parser.cur() != 0:
            return "InvalidInput", pool.usage(), kind
        return "Ok", pool.usage(), kind
    except _Failed as failed:
        return failed.code, pool.usage(), None
