"""The request reader: llhttp's verdicts with the gateway's rules on top, one request at a time, every byte counted."""

import pytest

from gateway.serving.chunks import MAX_CHUNK_LINE_BYTES
from gateway.serving.heads import HttpProblem
from gateway.serving.requests import MAX_FRAMING_BYTES, RequestReader
from tests.support.http_attacks import CASES, NEXT, TE

WEBHOOK = (
    b"POST /cloud?mode=notify&token=abcdefghijklmnopqrstuvwx HTTP/1.1\r\nHost: x\r\n"
    b'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"text":"hi"}'
)
GET = b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNKED = TE + b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
LIMIT = 8192


def read_all(reader: RequestReader, data: bytes = b"") -> list:
    """Receive data, then return every request that is whole."""
    reader.receive(data)
    taken = []
    while (request := reader.next_request()) is not None:
        taken.append(request)
    return taken


def verdict(pieces: list[bytes], body_limit: int = LIMIT) -> object:
    """Return "ok" when pieces make at least one request, the refusal's status, or "incomplete"."""
    reader, got = RequestReader(body_limit), []
    try:
        for piece in pieces:
            got += read_all(reader, piece)
    except HttpProblem as problem:
        return problem.error.status
    return "ok" if got else "incomplete"


@pytest.mark.parametrize(("raw", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_corpus_fed_whole(raw: bytes, expected: object) -> None:
    assert verdict([raw]) == expected


@pytest.mark.parametrize(("raw", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_corpus_fed_one_byte_at_a_time(raw: bytes, expected: object) -> None:
    assert verdict([raw[i : i + 1] for i in range(len(raw))]) == expected


def test_refusals_say_bad_request_or_http_error() -> None:
    reader = RequestReader(LIMIT)
    reader.receive(b"post /cloud HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(HttpProblem) as caught:
        reader.next_request()
    assert (caught.value.error.code, caught.value.error.message) == ("bad_request", "Methods are upper-case.")


def test_webhook_is_parsed() -> None:
    ((head, body),) = read_all(RequestReader(LIMIT), WEBHOOK)
    assert (head.method, head.target, head.version) == ("POST", "/cloud?mode=notify&token=abcdefghijklmnopqrstuvwx", "HTTP/1.1")
    assert head.headers == [("Host", "x"), ("Content-Type", "application/json"), ("Content-Length", "13")]
    assert (body, head.content_length, head.keep_alive, head.expects_continue, head.chunked) == (
        b'{"text":"hi"}',
        13,
        True,
        False,
        False,
    )


def test_header_values_lose_the_spaces_around_them() -> None:
    ((head, _),) = read_all(RequestReader(LIMIT), b"GET / HTTP/1.1\r\nHost:  x \t\r\n\r\n")
    assert head.headers == [("Host", "x")]


@pytest.mark.parametrize("raw", [WEBHOOK, CHUNKED, GET + WEBHOOK + CHUNKED], ids=["length", "chunked", "three"])
def test_every_split_point_gives_the_same_requests(raw: bytes) -> None:
    whole = [(head.target, body) for head, body in read_all(RequestReader(LIMIT), raw)]
    for cut in range(1, len(raw)):
        reader = RequestReader(LIMIT)
        got = read_all(reader, raw[:cut]) + read_all(reader, raw[cut:])
        assert [(head.target, body) for head, body in got] == whole


def test_chunked_body_drops_extensions_and_trailers() -> None:
    ((head, body),) = read_all(RequestReader(LIMIT), CHUNKED)
    assert (body, head.chunked) == (b"hello world", True)
    assert [name for name, _ in head.headers] == ["Host", "Transfer-Encoding"]


def test_one_request_at_a_time_and_the_rest_stays_unparsed() -> None:
    reader = RequestReader(LIMIT)
    reader.receive(WEBHOOK + CHUNKED + GET)
    first = reader.next_request()
    assert first is not None and first[0].target.startswith("/cloud?")
    assert reader.pending == len(CHUNKED) + len(GET)  # llhttp has not seen a byte of the next request
    second, third = reader.next_request(), reader.next_request()
    assert (second[1], third[0].target) == (b"hello world", "/two")  # type: ignore[index]
    assert reader.next_request() is None and reader.pending == 0


def test_a_refused_request_hides_the_good_one_behind_it_for_good() -> None:
    reader = RequestReader(LIMIT)
    reader.receive(GET + b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + GET)
    assert reader.next_request()[0].target == "/two"  # type: ignore[index]
    for _ in range(2):
        with pytest.raises(HttpProblem):
            reader.next_request()
    reader.receive(GET)
    with pytest.raises(HttpProblem):
        reader.next_request()
    assert reader.pending == 0  # what it held is given back


def test_chunk_data_that_looks_like_an_end_and_a_request_stays_data() -> None:
    data = b"0\r\n\r\nGET /evil HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = TE + b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"
    for cut in range(1, len(raw)):
        reader = RequestReader(LIMIT)
        got = read_all(reader, raw[:cut])[:1] or [reader.next_request()]
        reader.receive(raw[cut:] + GET)
        got = [request for request in got if request] or [reader.next_request()]
        assert [(head.target, body) for head, body in got] == [("/cloud", data)]
        assert reader.pending == len(GET)


def test_nothing_is_parsed_after_a_request_without_keep_alive() -> None:
    reader = RequestReader(LIMIT)
    got = read_all(reader, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + b"garbage llhttp would refuse")
    assert [head.keep_alive for head, _ in got] == [False]
    assert read_all(reader, GET) == []


def test_http_1_0_keeps_alive_only_when_asked() -> None:
    got = read_all(RequestReader(LIMIT), b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n")
    assert [head.keep_alive for head, _ in got] == [True, False]


def test_expect_100_continue_is_due_once_while_the_body_is_missing() -> None:
    reader = RequestReader(LIMIT)
    head = b"POST /cloud HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
    assert read_all(reader, head) == [] and reader.take_continue() and not reader.take_continue()
    ((parsed, body),) = read_all(reader, b"hi")
    assert parsed.expects_continue and body == b"hi"
    read_all(reader, head + b"hi")
    assert not reader.take_continue()  # the body came with the head: no 100 to send


def test_a_declared_body_over_the_limit_is_never_read() -> None:
    reader = RequestReader(10)
    ((head, body),) = read_all(reader, b"POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\nhello")
    assert (head.oversized, head.content_length, body, reader.take_continue()) == (True, 11, b"", False)
    assert read_all(reader, GET) == []  # the connection closes after the answer


def test_upgrade_is_ignored_and_the_body_read() -> None:
    raw = b"POST /c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi"
    got = read_all(RequestReader(LIMIT), raw + GET)
    assert [(head.target, body) for head, body in got] == [("/c", b"hi"), ("/two", b"")]


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (TE + b"b\r\n", 413),
        (TE + b"5\r\nhello\r\n6\r\n", 413),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /" + b"a" * 9000, 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: a\r\n" * 100 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + (b"X: " + b"a" * 1000 + b"\r\n") * 17, 431),
        (b"\r\n" * 8200 + GET, 431),
        (TE + b"1;" + b"e" * MAX_CHUNK_LINE_BYTES + b"\r\n", 400),
        (TE + b"0\r\n" + b"X: y\r\n" * 12000, 413),
    ],
    ids=[
        "chunk over the limit",
        "chunks add up over the limit",
        "long target",
        "long target, no end",
        "long header",
        "101 headers",
        "head over 16 KiB",
        "empty lines over 16 KiB",
        "long chunk line",
        "trailers over the framing budget",
    ],
)
def test_limits(raw: bytes, status: int) -> None:
    assert verdict([raw], body_limit=10) == status


def test_framing_counts_against_the_budget_even_in_short_lines() -> None:
    padded = b"1;" + b"e" * 1000 + b"\r\nx\r\n"  # one body byte per KiB of extension
    assert verdict([TE + padded * (MAX_FRAMING_BYTES // len(padded) + 2)]) == 413
    assert verdict([TE + padded * (MAX_FRAMING_BYTES // len(padded) - 1) + b"0\r\n\r\n"]) == "ok"


def test_every_byte_is_counted() -> None:
    reader = RequestReader(LIMIT)
    ((_, body),) = read_all(reader, CHUNKED)
    assert (reader.received, body) == (len(CHUNKED), b"hello world")


def test_a_body_dribbled_one_chunk_per_packet_is_read_in_linear_time() -> None:
    reader = RequestReader(10_000)
    assert read_all(reader, TE) == []
    for _ in range(8190):
        reader.receive(b"1\r\nx\r\n")
        assert reader.next_request() is None
    ((_, body),) = read_all(reader, b"0\r\n\r\n")
    assert body == b"x" * 8190


def test_smuggled_request_after_bare_lf_trailers_is_never_returned() -> None:
    reader = RequestReader(LIMIT)
    reader.receive(TE + b"2\r\nhi\r\n0\r\n\n" + NEXT)
    with pytest.raises(HttpProblem):
        reader.next_request()
