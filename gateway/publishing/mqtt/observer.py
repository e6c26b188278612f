"""The clock's verdict through a broker that does not help: every gateway watches NG commands and answers in order.

An external broker (Mosquitto) cannot say which publish an AWTRIX NG answer belongs to, so each gateway
connection subscribes to NG's command topics, its answer topics and its availability. One broker hands every
subscriber its messages in the order it handled them, and a clock answers its commands in order, so every
connection sees, per (token, command topic), the same sequence of commands and answers: each answer belongs to
the oldest command it has not seen answered. Each command carries its publisher's correlation data (MQTT 5;
a clock speaking MQTT 3.1.1 never sees it), so a connection knows which commands are its own and hands their
answers to the webhook waiting for them. When a token's NG clock comes or goes (availability), everything it
owed is forgotten: a command that reached no clock leaves no gap. Exact as long as the token has one NG clock
and it answers every command it routes; see README, broker comparison.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from common.firmware import awtrix_ng
from common.topics import TOPIC_ROOT, token_of_topic
from gateway.publishing.outcome import Replies

NG = awtrix_ng.FIRMWARE
MAX_PENDING = 256  # per token and command topic; beyond, the oldest is forgotten (its answer would shift)
MAX_AGE_S = 30.0
_SCREEN = "state/screen"


def filters() -> list[str]:
    """Return what a gateway connection subscribes to: NG's commands, its answers, its availability, its screens."""
    commands = [f"{TOPIC_ROOT}/+/{mode}" for mode in NG.modes]
    commands += [f"{TOPIC_ROOT}/+/{prefix}+" for prefix in NG.named]
    answers = [f"{TOPIC_ROOT}/+/cmd/{'+/' * depth}result" for depth in (1, 2, 3)]
    return [*commands, *answers, f"{TOPIC_ROOT}/+/{awtrix_ng.AVAILABILITY}", f"{TOPIC_ROOT}/+/{_SCREEN}"]


@dataclass(eq=False)
class Waiter:
    """A webhook waiting for the answers to its command."""

    expected: int
    replies: list[tuple[str, bytes]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


class Observer:
    """What one gateway connection has seen of NG commands and answers; thread-safe (paho's thread feeds it)."""

    def __init__(self) -> None:
        """Start having seen nothing."""
        self._lock = threading.Lock()
        self._owed: dict[tuple[str, str], deque[tuple[bytes | None, float]]] = {}
        self._waiters: dict[bytes, Waiter] = {}

    def expect(self, correlation: bytes, command: str) -> Waiter:
        """Register a webhook that waits for the answers to its command (published with correlation)."""
        waiter = Waiter(expected=len(NG.answers(command)))
        with self._lock:
            self._waiters[correlation] = waiter
        return waiter

    def wait(self, correlation: bytes, waiter: Waiter, timeout_s: float) -> Replies:
        """Wait up to timeout_s for the answers; return those that came."""
        waiter.done.wait(timeout_s)
        with self._lock:
            self._waiters.pop(correlation, None)
            return tuple(waiter.replies)

    def seen(self, topic: str, payload: bytes, correlation: bytes | None) -> str | None:
        """Take in a message; return the token whose NG clock's retained topics to clear (it went offline), or None."""
        token = token_of_topic(topic)
        if token is None:
            return None
        suffix = topic[len(TOPIC_ROOT) + len(token) + 2 :]
        with self._lock:
            if suffix == awtrix_ng.AVAILABILITY:
                for key in [key for key in self._owed if key[0] == token]:
                    del self._owed[key]
                return token if payload == b"offline" else None
            if suffix == _SCREEN:
                self._answered(token, awtrix_ng.SCREEN_GET, suffix, payload, final=False)
            elif NG.is_result(suffix):
                self._answered(token, suffix[: -len(awtrix_ng.RESULT)], suffix, payload, final=True)
            elif NG.rule_of(suffix) is not None:
                owed = self._owed.setdefault((token, suffix), deque())
                owed.append((correlation, time.monotonic()))
                while len(owed) > MAX_PENDING:
                    owed.popleft()
        return None

    def _answered(self, token: str, command: str, topic: str, payload: bytes, final: bool) -> None:
        owed = self._owed.get((token, command))
        now = time.monotonic()
        while owed and owed[0][1] + MAX_AGE_S < now:
            owed.popleft()
        if not owed:
            return
        correlation = owed.popleft()[0] if final else owed[0][0]
        if not owed:
            del self._owed[(token, command)]
        waiter = self._waiters.get(correlation) if correlation is not None else None
        if waiter is not None:
            waiter.replies.append((topic, payload))
            if len(waiter.replies) >= waiter.expected or final:
                waiter.done.set()

    def __len__(self) -> int:
        """Return how many commands await an answer, for every token."""
        with self._lock:
            return sum(len(owed) for owed in self._owed.values())
