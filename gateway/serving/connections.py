"""The worker's client connections: what each holds, the per-address cap, and which to close when the worker is full.

At capacity (gunicorn's worker_connections, GUNICORN_WORKER_CONNECTIONS) the worker keeps accepting: it closes
idle keep-alive connections first (answered, and waiting for another request), the longest idle first, then
connections whose request has not arrived whole, the one that has been at it longest first (a new connection that
has sent nothing yet counts from its accept), as a mature server would. A connection being served (its webhook
waits for the broker) or being written to is never closed for room. So a flood of idle or slow connections costs
its senders their connections, not a normal webhook its answer.
"""

import heapq
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from gateway.ratelimit.limiter import client_network
from gateway.serving.requests import RequestReader

_IDLE_SINCE = attrgetter("active_at")


def _sending_since(client: "Client") -> float:
    return client.active_at if client.request_started is None else client.request_started


@dataclass(eq=False)
class Client:
    """One client connection: its request reader, and what is not written to it yet."""

    sock: socket.socket
    address: tuple[str, int]
    reader: RequestReader
    address_key: str | None = None  # what the per-address cap counts it under, if it is counted
    outbox: bytes = b""
    busy: bool = False  # a request of this connection is being served (its greenlet runs or waits)
    ended: bool = False  # the client closed its side while a request was being served
    watched: bool = True  # registered in the selector (not while a busy client is ended or has sent plenty)
    closing: bool = False
    answered: bool = False  # at least one answer written: between requests, the connection is idle
    active_at: float = field(default_factory=time.monotonic)  # last byte read or answer written
    request_started: float | None = None  # when the first byte of the request being read arrived


def address_key(host: str) -> str:
    """Return what a client address counts under, as the rate limits do: IPv4 as is, IPv6 by its /64."""
    return host if ":" not in host else client_network(host)  # (an IPv4-mapped address counts as its IPv4)


class AddressCounts:
    """How many connections each client address holds in this worker, against a cap (0: none)."""

    def __init__(self, cap: int) -> None:
        """Count against cap connections per address."""
        self.cap = cap
        self._open: dict[str, int] = {}

    def admit(self, host: str) -> tuple[bool, str | None]:
        """Return (whether a new connection from host may stay, the key it is counted under if it is)."""
        if not self.cap or not host:
            return True, None
        key = address_key(host)
        held = self._open.get(key, 0)
        if held >= self.cap:
            return False, None
        self._open[key] = held + 1
        return True, key

    def release(self, key: str | None) -> None:
        """Forget one connection counted under key."""
        if key is None:
            return
        held = self._open.pop(key, 0) - 1
        if held > 0:
            self._open[key] = held

    def __len__(self) -> int:
        """Return how many addresses hold connections."""
        return len(self._open)


def to_close_for_room(clients: Iterable[Client], count: int) -> list[Client]:
    """Return up to count connections to close for new ones: idle ones first, then the slowest senders."""
    idle: list[Client] = []
    sending: list[Client] = []
    for client in clients:
        if client.busy or client.outbox or client.closing:
            continue
        (idle if client.answered and client.request_started is None else sending).append(client)
    chosen = heapq.nsmallest(count, idle, key=_IDLE_SINCE)
    if len(chosen) < count:
        chosen += heapq.nsmallest(count - len(chosen), sending, key=_sending_since)
    return chosen
