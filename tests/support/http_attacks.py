"""Requests that HTTP implementations read differently, each with the gateway's verdict: "ok" or the status it answers.

Shared by the reader's tests (tests/gateway/serving/test_requests.py) and the tests against a real gunicorn
(tests/gateway/serving/test_front.py). LENIENT_CASES are issue 12's list (1): what the hand-written parser used to
accept and llhttp refuses, each of which must be answered 400 with the connection closed.
"""

HEAD = b"POST /cloud HTTP/1.1\r\nHost: x\r\n"
TE = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
NEXT = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
_CONTROL_BYTES = [*range(0x01, 0x09), *range(0x0B, 0x0D), *range(0x0E, 0x20), 0x7F]

LENIENT_CASES: list[tuple[str, bytes, object]] = [
    ("ext: bare LF after ';'", TE + b"2;\nxx\r\nhi\r\n0\r\n\r\n", 400),
    ("ext: bare CR after ';'", TE + b"2;\rxx\r\nhi\r\n0\r\n\r\n", 400),
    ("ext: NUL", TE + b"2;a\x00b\r\nhi\r\n0\r\n\r\n", 400),
    ("ext: 0x01", TE + b"2;a=\x01\r\nhi\r\n0\r\n\r\n", 400),
    ("ext: 0x7f", TE + b"2;a\x7f\r\nhi\r\n0\r\n\r\n", 400),
    ("ext: ESC in value", TE + b"2;a=b\x1b\r\nhi\r\n0\r\n\r\n", 400),
    ("trailer: bare LF ends the body, then a request", TE + b"2\r\nhi\r\n0\r\n\n" + NEXT, 400),
    ("trailer: control byte 0x01", TE + b"0\r\nX-T: a\x01b\r\n\r\n", 400),
    ("trailer: Content-Length", TE + b"0\r\nContent-Length: 5\r\n\r\n", 400),
    ("chunk size ' d'", TE + b" d\r\nhello, world!\r\n0\r\n\r\n", 400),
    ("chunk size '\\td'", TE + b"\td\r\nhello, world!\r\n0\r\n\r\n", 400),
    ("chunk size 'd '", TE + b"d \r\nhello, world!\r\n0\r\n\r\n", 400),
    ("chunk size 'd\\t'", TE + b"d\t\r\nhello, world!\r\n0\r\n\r\n", 400),
    *[(f"header value 0x{c:02x}", HEAD + b"X: a" + bytes([c]) + b"b\r\n\r\n", 400) for c in _CONTROL_BYTES],
    ("lower-case method post", b"post /cloud HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("mixed-case method Post", b"Post /cloud HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    ("two Host headers", b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
]

OTHER_CASES: list[tuple[str, bytes, object]] = [
    ("ext: valid", TE + b"2;name=value\r\nhi\r\n0\r\n\r\n", "ok"),
    ("ext: valid quoted", TE + b'2;n="v w"\r\nhi\r\n0\r\n\r\n', "ok"),
    ("trailer: valid", TE + b"2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n", "ok"),
    ("chunk data not followed by CRLF", TE + b"2\r\nhiXX0\r\n\r\n", 400),
    ("chunk size 0x prefix", TE + b"0x2\r\nhi\r\n0\r\n\r\n", 400),
    ("chunk size with underscore", TE + b"1_0\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n", 400),
    ("header value NUL", HEAD + b"X: a\x00b\r\n\r\n", 400),
    ("header value bare CR", HEAD + b"X: a\rb\r\n\r\n", 400),
    ("header value TAB (legal)", HEAD + b"X: a\tb\r\n\r\n", "ok"),
    ("header value obs-text", HEAD + b"X: caf\xe9\r\n\r\n", "ok"),
    ("unknown method FOO", b"FOO /cloud HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("method that is no token", b"P(ST /cloud HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("HTTP/1.0 without Host", b"GET /healthz HTTP/1.0\r\n\r\n", "ok"),
    ("HTTP/1.0 with two Host headers", b"GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (
        "Content-Length and Transfer-Encoding",
        HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        400,
    ),
    ("duplicate Content-Length, same", HEAD + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi", 400),
    ("duplicate Content-Length, different", HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi!", 400),
    ("Content-Length: 2, 2", HEAD + b"Content-Length: 2, 2\r\n\r\nhi", 400),
    ("Content-Length: +2", HEAD + b"Content-Length: +2\r\n\r\nhi", 400),
    ("Content-Length: -1", HEAD + b"Content-Length: -1\r\n\r\n", 400),
    ("TE: gzip, chunked", HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 501),
    ("TE: chunked, chunked", HEAD + b"Transfer-Encoding: chunked, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 501),
    ("TE: chunked twice", HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
    ("TE: gzip", HEAD + b"Transfer-Encoding: gzip\r\n\r\nhi", 501),
    ("TE: Chunked (case)", HEAD + b"Transfer-Encoding: Chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", "ok"),
    ("obs-fold", HEAD + b"X: a\r\n folded\r\n\r\n", 400),
    ("bare LF line ends", b"GET /healthz HTTP/1.1\nHost: x\n\n", 400),
    ("bare LF after one header", b"GET /healthz HTTP/1.1\r\nHost: x\n\r\n", 400),
    ("space before colon", b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("header name with a space", b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
    ("HTTP/1.0 with chunked", b"POST /cloud HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n", 400),
    ("HTTP/2.0 request line", b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("HTTP/1.2 request line", b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n", 505),
    ("HTTP/0.9 request line", b"GET /\r\n\r\n", 400),
    ("RTSP/1.0 request line", b"GET /healthz RTSP/1.0\r\nHost: x\r\n\r\n", 400),
    ("SPDY/1.1 request line", b"GET /healthz SPDY/1.1\r\nHost: x\r\n\r\n", 400),
    ("junk after the version", b"GET /healthz HTTP/1.1 junk\r\nHost: x\r\n\r\n", 400),
    ("double space in the request line", b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("target without a slash", b"GET healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("absolute-form target", b"GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("asterisk-form OPTIONS *", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400),
    ("Expect: 100-continue", HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", "ok"),
    ("Expect: other", HEAD + b"Expect: something\r\nContent-Length: 2\r\n\r\nhi", 417),
    (
        "Upgrade: h2c with a body",
        HEAD + b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQAAP__\r\nContent-Length: 2\r\n\r\nhi",
        "ok",
    ),
    (
        "Upgrade with a chunked body",
        HEAD + b"Connection: Upgrade\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    ("an empty line before the request", b"\r\n" + NEXT, "ok"),
    ("two empty lines before the request", b"\r\n\r\n" + NEXT, "ok"),
    ("a bare LF before the request", b"\n" + NEXT, 400),
]

CASES = LENIENT_CASES + OTHER_CASES
