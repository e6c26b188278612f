"""The strict HTTP/1.x request parser: what it accepts, what it refuses with which status, and response framing."""

import pytest

from gateway.serving.http1 import HttpProblem, encode_response, parse_head, take_chunked

POST = b"POST /cloud?mode=notify&token=abc HTTP/1.1\r\n"


def refused(raw: bytes) -> int:
    with pytest.raises(HttpProblem) as caught:
        parse_head(raw)
    return caught.value.error.status


def test_head_is_parsed_with_its_framing_and_connection_semantics() -> None:
    head = parse_head(POST + b"Host: x\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n{}")
    assert head is not None
    assert (head.method, head.target, head.version) == ("POST", "/cloud?mode=notify&token=abc", "HTTP/1.1")
    assert (head.content_length, head.chunked, head.keep_alive, head.expects_continue) == (13, False, True, False)
    assert head.headers[0] == ("Host", "x")
    assert head.end == len(POST) + len(b"Host: x\r\nContent-Length: 13\r\nContent-Type: application/json\r\n\r\n")


def test_incomplete_head_waits_for_more() -> None:
    assert parse_head(POST + b"Host: x\r\n") is None


@pytest.mark.parametrize(
    ("raw", "keep_alive"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", True),
    ],
)
def test_keep_alive_follows_the_version_and_connection_header(raw: bytes, keep_alive: bool) -> None:
    head = parse_head(raw)
    assert head is not None and head.keep_alive is keep_alive


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"POST /cloud HTTP/1.1 junk\r\n\r\n", 400),
        (b"POST  /cloud HTTP/1.1\r\n\r\n", 400),
        (b"POST cloud HTTP/1.1\r\n\r\n", 400),
        (b"POST /cloud HTTP/2.0\r\n\r\n", 505),
        (b"POST /cloud SPDY/1.1\r\n\r\n", 400),
        (POST + b"Bad Header: y\r\n\r\n", 400),
        (POST + b"Name : y\r\n\r\n", 400),
        (POST + b"Host: x\r\n folded\r\n\r\n", 400),
        (POST + b"X: a\x00b\r\n\r\n", 400),
        (POST + b"Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 400),
        (POST + b"Content-Length: -1\r\n\r\n", 400),
        (POST + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"POST /cloud HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (POST + b"Expect: something-else\r\n\r\n", 417),
        (POST + b"Host: x\n\n", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
        (POST + b"X: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (POST + b"X: a\r\n" * 101 + b"\r\n", 431),
        (POST + b"X: " + b"a" * 17000, 431),
    ],
    ids=lambda value: value if isinstance(value, int) else repr(value[:40]),
)
def test_ambiguous_or_malformed_heads_are_refused(raw: bytes, status: int) -> None:
    assert refused(raw) == status


def test_expect_100_continue_is_noted_for_http_1_1() -> None:
    head = parse_head(POST + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert head is not None and head.expects_continue


def test_chunked_body_is_decoded_with_extensions_and_trailers() -> None:
    raw = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT"
    assert take_chunked(raw, 0, 100) == (b"hello world", len(raw) - 4)


@pytest.mark.parametrize("cut", [1, 4, 9, 12, 14])
def test_incomplete_chunked_body_waits_for_more(cut: int) -> None:
    raw = b"5\r\nhello\r\n0\r\n\r\n"
    assert take_chunked(raw[:cut], 0, 100) is None


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"zz\r\nhello\r\n", 400), (b"5\r\nhelloXX0\r\n\r\n", 400), (b"a\r\n0123456789\r\n0\r\n\r\n", 413)],
)
def test_malformed_or_oversized_chunked_bodies_are_refused(raw: bytes, status: int) -> None:
    with pytest.raises(HttpProblem) as caught:
        take_chunked(raw, 0, 9)
    assert caught.value.error.status == status


def test_response_gets_length_date_and_connection() -> None:
    raw = encode_response("200 OK", [("Content-Type", "application/json")], b"{}", keep_alive=True, head_only=False)
    head, body = raw.split(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert {"Content-Length: 2", "Connection: keep-alive", "Content-Type: application/json"} <= set(lines)
    assert any(line.startswith("Date: ") and line.endswith(" GMT") for line in lines)
    assert body == b"{}"


def test_head_request_and_no_content_answers_carry_no_body() -> None:
    assert encode_response("200 OK", [], b"{}", keep_alive=False, head_only=True).endswith(b"Connection: close\r\n\r\n")
    assert b"Content-Length" not in encode_response("204 No Content", [], b"", keep_alive=True, head_only=False)
