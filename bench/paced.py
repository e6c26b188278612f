"""Send webhooks at a fixed rate, open loop, and print one JSON line of results (`python -m bench.paced`).

wrk has no rate limit, and h2load cannot vary the request body, which must carry the send time for
the device to measure webhook-to-device latency. This generator is small: a pool of keep-alive HTTP/1.1
connections (asyncio protocols, one request in flight each), requests sent on a fixed schedule whatever
the answers do, a fresh connection whenever the pool has none idle, and every answer awaited at the end.

With "ids" (`make soak`), request n carries "id":"n" and "to":"<its token>" in its payload, and the
result has every answer by id in "by_id": one letter per request (ANSWER_CODES; "-" unanswered).

Kind "gateway-ng" sends mode=cmd/notify to AWTRIX NG clocks and counts as delivered only an answer carrying the
clock's own {"ok":true}: its latency is the whole round trip, webhook -> clock -> /result -> answer.
"""

import asyncio
import json
import resource
import sys
import time
from collections import deque
from collections.abc import Callable

POOL = 32
MAX_CONNECTIONS = 1024  # at 1,000 req/s: a second of requests in flight; beyond that the generator waits
EARLY_S = 0.0002  # sending this much ahead of schedule costs less than a timer per request
FINISH_S = 10.0
UNANSWERED = "-"
ANSWER_CODES = {"delivered": "D", "undelivered": "U", "failed": "F", "other": "O"}
NG_VERDICT = b'"result":{"ok":true}'

Answer = Callable[["Connection", int, bytes], None]


def webhook_request(kind: str, host: str, authorization: str, token: str, message_id: int | None = None) -> bytes:
    """Return the bytes of one webhook request for token, stamped with the send time (and labelled with message_id)."""
    if kind == "gateway-ng":
        payload = f'{{"text":"bench {time.time_ns()}"}}'  # NG refuses unknown keys such as "ts"
    elif message_id is None:
        payload = f'{{"text":"bench","ts":{time.time_ns()}}}'
    else:
        payload = f'{{"text":"soak","id":"{message_id}","to":"{token}","ts":{time.time_ns()}}}'
    if kind == "rabbitmq":
        message = {"properties": {}, "routing_key": f"awtrix.{token}.notify", "payload": payload, "payload_encoding": "string"}
        body = json.dumps(message)
        head = f"POST /api/exchanges/%2F/amq.topic/publish HTTP/1.1\r\nAuthorization: {authorization}\r\n"
    else:
        body = payload
        mode = "cmd/notify" if kind == "gateway-ng" else "notify"
        head = f"POST /cloud?mode={mode}&token={token} HTTP/1.1\r\n"
    data = body.encode()
    return (f"{head}Host: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


def content_length(head: bytes) -> int:
    """Return the Content-Length of a lower-cased response head (0 when absent)."""
    at = head.find(b"content-length:")
    if at < 0:
        return 0
    end = head.find(b"\r\n", at)
    return int(head[at + 15 : end if end > 0 else None])


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, on_answer: Answer, on_lost: Callable[["Connection"], None]) -> None:
        """Remember whom to tell about answers and about the connection closing."""
        self.on_answer = on_answer
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.sent_ns = 0
        self.message_id = -1
        self.busy = False
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = transport  # type: ignore[assignment]

    def send(self, request: bytes) -> None:
        """Write one request."""
        self.busy = True
        self.sent_ns = time.monotonic_ns()
        self.transport.write(request)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        """Complete the answer once headers and Content-Length bytes of body are in."""
        self._buffer += data
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(self._buffer[:head_end]).lower()
        length = content_length(head)
        if len(self._buffer) < head_end + 4 + length:
            return
        body = bytes(self._buffer[head_end + 4 : head_end + 4 + length])
        del self._buffer[: head_end + 4 + length]
        self.busy = False
        self.on_answer(self, int(head[9:12]), body)
        if b"connection: close" in head and self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the generator."""
        self.transport = None
        self.on_lost(self)


class Paced:
    """The generator's state: idle connections and the counts of answers."""

    def __init__(self, kind: str, host: str, port: int, authorization: str, ids: bool = False) -> None:
        """Nothing is connected yet; with ids, label every request and keep every answer by id."""
        self.kind, self.host, self.port, self.authorization = kind, host, port, authorization
        self.ids = ids
        self.by_id = bytearray()
        self.idle: deque[Connection] = deque()
        self.in_flight = 0
        self.counts = {"sent": 0, "delivered": 0, "undelivered": 0, "failed": 0, "other": 0}
        self.latencies_us: list[int] = []
        self.other_statuses: dict[str, int] = {}
        self.opened = 0
        self.all_answered = asyncio.Event()
        self.some_idle = asyncio.Event()

    async def open(self) -> Connection:
        """Open one more connection."""
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: Connection(self.answered, self.lost), self.host, self.port)
        self.opened += 1
        return connection

    def answered(self, connection: Connection, status: int, body: bytes) -> None:
        """Count an answer and put the connection back in the pool."""
        self.latencies_us.append((time.monotonic_ns() - connection.sent_ns) // 1000)
        self.in_flight -= 1
        if status == 200 and self.kind == "gateway-ng" and NG_VERDICT not in body:
            kind = "other"  # delivered, but without the clock's verdict in time
            self.other_statuses["200 without result"] = self.other_statuses.get("200 without result", 0) + 1
        elif status == 200 and b'":true' in body:
            kind = "delivered"
        elif status == 202 or (status == 200 and b'":false' in body):
            kind = "undelivered"
        elif status >= 500:
            kind = "failed"
        else:
            kind = "other"
            self.other_statuses[str(status)] = self.other_statuses.get(str(status), 0) + 1
        self.counts[kind] += 1
        if self.ids:
            self.by_id[connection.message_id] = ord(ANSWER_CODES[kind])
        self.idle.append(connection)
        self.some_idle.set()
        if not self.in_flight:
            self.all_answered.set()

    def lost(self, connection: Connection) -> None:
        """Forget a closed connection; a request in flight on it stays unanswered."""
        if connection in self.idle:
            self.idle.remove(connection)

    async def connection(self) -> Connection:
        """Return an idle connection, opening one more while under MAX_CONNECTIONS, else waiting for one."""
        while not self.idle:
            if self.opened < MAX_CONNECTIONS:
                return await self.open()
            self.some_idle.clear()
            await self.some_idle.wait()
        return self.idle.popleft()

    async def run(self, tokens: list[str], rate: int, seconds: float, finish_s: float = FINISH_S) -> dict[str, object]:
        """Send rate webhooks per second for seconds (request n to tokens[n % len]), then wait finish_s for the answers."""
        for _ in range(min(POOL, len(tokens))):
            self.idle.append(await self.open())
        loop = asyncio.get_running_loop()
        total, late = int(rate * seconds), 0.0
        if self.ids:
            self.by_id = bytearray(UNANSWERED.encode() * total)
        start = loop.time() + 0.05
        for index in range(total):
            due = start + index / rate
            wait = due - loop.time()
            if wait > EARLY_S:
                await asyncio.sleep(wait)
            connection = await self.connection()
            late = max(late, loop.time() - due)
            self.in_flight += 1
            self.all_answered.clear()
            self.counts["sent"] += 1
            connection.message_id = index
            label = index if self.ids else None
            connection.send(webhook_request(self.kind, self.host, self.authorization, tokens[index % len(tokens)], label))
        if self.in_flight:
            try:
                await asyncio.wait_for(self.all_answered.wait(), finish_s)
            except TimeoutError:
                pass
        # Until the last answer: a system that falls behind the rate shows it as a lower rate achieved.
        sent_for = max(loop.time() - start, total / rate)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            **self.counts,
            "unanswered": self.in_flight,
            "seconds": sent_for,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "http_latencies_us": self.latencies_us,
            "late_ms": max(late, 0.0) * 1000,
            "other_statuses": self.other_statuses,
            "connections": self.opened,
        } | ({"by_id": self.by_id.decode()} if self.ids else {})


def main() -> None:
    """argv: kind host port authorization devices prefix rate seconds [ids [finish_s]]."""
    kind, host, port, authorization, devices, prefix, rate, seconds = sys.argv[1:9]
    ids = sys.argv[9:10] == ["ids"]
    finish_s = float(sys.argv[10]) if len(sys.argv) > 10 else FINISH_S
    tokens = [f"{prefix}{index:06d}" for index in range(int(devices))]
    paced = Paced(kind, host, int(port), authorization, ids)
    result = asyncio.run(paced.run(tokens, int(rate), float(seconds), finish_s))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
