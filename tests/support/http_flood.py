"""Attack loads on the gateway's HTTP front, run as their own process: python -m tests.support.http_flood KIND PORT SECONDS.

KIND is one of:
- dribble: 16 connections each sending a chunked body one 1-byte chunk per packet (8,190 chunks, then again);
- padded: 20 connections each sending 1-byte chunks padded with 1 KiB extensions, 16 KiB per burst, until refused;
- slow: 2,100 connections, from 105 loopback addresses (127.2.0.x, 20 each), that send a header byte every 2 s
  and never finish their head; each one the gateway closes is opened again.
Each runs for SECONDS, then prints one JSON line of what it did and exits; the loads are paced, not unbounded.
"""

import json
import selectors
import socket
import sys
import time
from collections.abc import Callable

CHUNKED_HEAD = (
    b"POST /cloud?mode=notify&token=attacker-token-000001 HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)
SLOW_HEAD = b"POST /cloud HTTP/1.1\r\nHost: x\r\nX-Slow: "
PADDED_CHUNK = b"1;" + b"e" * 1000 + b"\r\nx\r\n"  # a size line just within the 1,024 bytes allowed
DRIBBLE_CHUNKS = 8190
SLOW_CONNECTIONS, SLOW_ADDRESSES, SLOW_EVERY_S = 2100, 105, 2.0


class Flood:
    """Connections to the gateway, each with a step to take when its turn comes; closed ones are opened again."""

    def __init__(self, port: int, sources: list[str]) -> None:
        """Attack 127.0.0.1:port from the given source addresses, one connection per entry."""
        self.port, self.sources = port, sources
        self.socks: list[socket.socket | None] = [None] * len(sources)
        self.sent = [0] * len(sources)  # what each connection has sent (or queued) of its current request
        self.unsent = [b""] * len(sources)  # what the socket did not take yet
        self.open = 0
        self.counts: dict[str, int] = {"opened": 0, "closed_by_gateway": 0, "answers": 0, "peak_open": 0}

    def sock(self, index: int) -> socket.socket | None:
        """Return connection index, opening it again if the gateway closed it."""
        sock = self.socks[index]
        if sock is not None:
            return sock
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=1, source_address=(self.sources[index], 0))
        except OSError:
            return None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self.socks[index], self.sent[index], self.unsent[index] = sock, 0, b""
        self.open += 1
        self.counts["opened"] += 1
        self.counts["peak_open"] = max(self.counts["peak_open"], self.open)
        return sock

    def send(self, index: int, data: bytes) -> bool:
        """Send data on connection index; on an answer or a close from the gateway, drop it and return False."""
        sock = self.sock(index)
        if sock is None:
            return False
        try:
            answer = sock.recv(65536)
        except BlockingIOError:
            answer = None
        except OSError:
            answer = b""
        if answer is not None:
            self.counts["answers" if answer else "closed_by_gateway"] += 1
            if answer[:9] == b"HTTP/1.1 ":
                status = "status_" + answer[9:12].decode()
                self.counts[status] = self.counts.get(status, 0) + 1
            return self.drop(index)
        self.sent[index] += len(data)
        data = self.unsent[index] + data
        try:
            taken = sock.send(data) if data else 0
        except BlockingIOError:
            taken = 0  # the gateway reads no faster: the rest waits here
        except OSError:
            self.counts["closed_by_gateway"] += 1
            return self.drop(index)
        self.unsent[index] = data[taken:]
        return True

    def drop(self, index: int) -> bool:
        """Close connection index (it is opened again at its next turn); return False."""
        sock, self.socks[index] = self.socks[index], None
        if sock is not None:
            sock.close()
            self.open -= 1
        return False

    def close_all(self) -> None:
        """Close every connection."""
        for index in range(len(self.socks)):
            self.drop(index)


def paced(seconds: float, every_s: float, step: Callable[[], None]) -> None:
    """Call step every every_s seconds for seconds."""
    deadline = next_at = time.monotonic()
    deadline += seconds
    while (now := time.monotonic()) < deadline:
        if now < next_at:
            selectors.DefaultSelector().select(next_at - now)  # pacing the load, not synchronising with anything
            continue
        step()
        next_at += every_s


def dribble(flood: Flood, seconds: float) -> None:
    """One 1-byte chunk per connection per step; a connection that sent all its chunks ends its body and starts over."""
    chunk = b"1\r\nx\r\n"

    def step() -> None:
        for index in range(len(flood.socks)):
            if flood.sock(index) is not None and flood.sent[index] == 0:
                flood.send(index, CHUNKED_HEAD)
            elif flood.sent[index] >= len(CHUNKED_HEAD) + DRIBBLE_CHUNKS * len(chunk):
                flood.send(index, b"0\r\n\r\n")
                flood.sent[index] = -1  # wait for the answer, then open again
            elif flood.sent[index] >= 0:
                flood.send(index, chunk)
            else:
                flood.send(index, b"")  # only looks for the answer

    paced(seconds, 0.001, step)


def padded(flood: Flood, seconds: float) -> None:
    """16 KiB of padded chunks per connection per step, until the gateway refuses the body."""
    burst = PADDED_CHUNK * (16384 // len(PADDED_CHUNK))

    def step() -> None:
        for index in range(len(flood.socks)):
            if flood.sock(index) is not None and flood.sent[index] == 0:
                flood.send(index, CHUNKED_HEAD)
            flood.send(index, b"" if flood.unsent[index] else burst)

    paced(seconds, 0.01, step)


def slow(flood: Flood, seconds: float) -> None:
    """A header byte per connection every SLOW_EVERY_S, spread evenly over the connections."""
    total = len(flood.socks)
    position = 0

    def step() -> None:
        nonlocal position
        for _ in range(max(1, total // 100)):
            index, position = position, (position + 1) % total
            if flood.sock(index) is not None and flood.sent[index] == 0:
                flood.send(index, SLOW_HEAD)
            else:
                flood.send(index, b"a")

    paced(seconds, SLOW_EVERY_S / 100, step)


def main(kind: str, port: int, seconds: float) -> dict[str, int]:
    """Run one attack for seconds and return its counts."""
    if kind == "slow":
        sources = [f"127.2.0.{1 + n % SLOW_ADDRESSES}" for n in range(SLOW_CONNECTIONS)]
    else:
        sources = ["127.0.0.9"] * (16 if kind == "dribble" else 20)
    flood = Flood(port, sources)
    try:
        {"dribble": dribble, "padded": padded, "slow": slow}[kind](flood, seconds)
    finally:
        flood.close_all()
    return flood.counts


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))), flush=True)
