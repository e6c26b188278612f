"""How the gateway's broker connections name themselves, space their retries and report why they failed."""

import logging
import os
import random
import secrets


def client_id() -> str:
    """Return a fresh MQTT client id for a connection of this process: gateway-<pid>-<8 hex digits>."""
    return f"gateway-{os.getpid()}-{secrets.token_hex(4)}"


def retry_delay(failures: int, min_s: float, max_s: float) -> float:
    """Return the wait before the next attempt after `failures` failures in a row: doubling from min_s up to max_s.

    Up to 30 % is taken off at random, so that the workers of one gateway do not retry in step.
    """
    return min(min_s * 2 ** (failures - 1), max_s) * random.uniform(0.7, 1.0)  # noqa: S311 (not cryptography)


class RepeatFilter:
    """Say at which level to log a problem: a warning when it differs from the last one, debug when it repeats.

    A broker that stays down would otherwise log a warning at every retry. Not thread-safe: callers that
    report from several threads hold their own lock around level().
    """

    def __init__(self) -> None:
        """Remember no problem yet."""
        self._last: str | None = None

    def level(self, problem: str) -> int:
        """Return the logging level for problem, and remember it."""
        repeated, self._last = problem == self._last, problem
        return logging.DEBUG if repeated else logging.WARNING

    def reset(self) -> None:
        """Forget the last problem: the connection works again."""
        self._last = None
