"""CPU of the worker's HTTP path, one core: python -m bench.parse (a few seconds; docs/RELIABILITY.md has the figures).

Prints µs per typical webhook for the request reader alone and for the worker's whole HTTP path (parse, WSGI
environ, encode the answer), and the CPU of a chunked body dribbled one 1-byte chunk per receive.
"""

import sys
import time
import timeit
from collections.abc import Callable

from gateway.serving.requests import RequestReader
from gateway.serving.responses import encode_response
from gateway.serving.wsgi_call import environ_for

BODY = b'{"text":"Hello from the webhook","color":"#00FF00","duration":5}'
WEBHOOK = (
    b"POST /cloud?mode=notify&token=abcdefghijklmnopqrstuvwx HTTP/1.1\r\nHost: awtrix.example.net\r\n"
    b"Content-Type: application/json\r\nContent-Length: %d\r\nUser-Agent: curl/8.5.0\r\n\r\n" % len(BODY)
) + BODY
ANSWER = ("200 OK", [("Content-Type", "application/json"), ("Content-Length", "36")], b'{"delivered":true,"mode":"notify"}\n')
CHUNKED_HEAD = b"POST /cloud HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def per_call_us(call: Callable[[], object], number: int) -> float:
    """Return the best of 5 runs' CPU µs per call."""
    return min(timeit.repeat(call, number=number, repeat=5, timer=time.process_time)) / number * 1e6


def webhook_costs(number: int) -> dict[str, float]:
    """Return µs per webhook: the reader on a kept-alive connection, on a new one, and the worker's HTTP path."""
    reader = RequestReader(8192)

    def kept_alive() -> None:
        reader.receive(WEBHOOK)
        reader.next_request()

    def new_connection() -> None:
        fresh = RequestReader(8192)
        fresh.receive(WEBHOOK)
        fresh.next_request()

    def http_path() -> None:
        reader.receive(WEBHOOK)
        head, body = reader.next_request()  # type: ignore[misc]
        environ_for(head, body, ("127.0.0.1", 5000), ("127.0.0.1", 8000))
        encode_response(*ANSWER, keep_alive=True, head_only=False)

    runs = {"reader, kept-alive connection": kept_alive, "reader, new connection": new_connection, "HTTP path": http_path}
    return {name: per_call_us(call, number) for name, call in runs.items()}


def dribble_ms(chunks: int = 8190) -> float:
    """Return the CPU ms of a chunked body received one 1-byte chunk at a time."""
    started = time.process_time()
    reader = RequestReader(1_048_576)
    reader.receive(CHUNKED_HEAD)
    reader.next_request()
    for _ in range(chunks):
        reader.receive(b"1\r\nx\r\n")
        reader.next_request()
    reader.receive(b"0\r\n\r\n")
    taken = reader.next_request()
    assert taken is not None and len(taken[1]) == chunks
    return (time.process_time() - started) * 1000


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    for name, micros in webhook_costs(count).items():
        print(f"{name:32} {micros:6.2f} µs per webhook")
    print(f"{'8,190 chunks dribbled':32} {min(dribble_ms() for _ in range(5)):6.1f} ms CPU")
