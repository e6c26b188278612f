"""Limit webhooks per token and per client address with the `limits` library, keyed by digests, never in clear."""

import functools
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence

from flask import Flask
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway.errors import RateLimited
from gateway.ratelimit.storage import WindowStorage, storage_uri
from gateway.rules.tokens import token_candidates
from gateway.settings import RateLimitSettings

log = logging.getLogger("gateway.ratelimit")  # the name in log lines, kept when the module moved

LIMITER_KEY = "gateway.limiter"
KEY_PREFIX = "awtrix-gateway"
# A Redis that stops answering must not hold webhooks up: the limiter falls back to memory instead.
REDIS_TIMEOUT_S = 0.5
RETRY_PRIMARY_S = 5.0  # after a storage failure, count in memory this long before asking it again
_RETRY = "retry after the number of seconds in the Retry-After header."
BREACH_MESSAGES = {
    "token": f"This token has sent too many webhooks; {_RETRY}",
    "address": f"This client address has sent too many requests; {_RETRY}",
}


class RateLimiter:
    """Moving-window limits per token and per client address, counted by the `limits` library.

    With Redis storage, a Redis that fails makes this worker count in its own memory (and say so once)
    until Redis answers again, so webhooks keep flowing and are still limited.
    """

    def __init__(self, settings: RateLimitSettings, max_tokens: int = 1) -> None:
        """Parse the limits and open the storage (it connects lazily); a request's first max_tokens tokens are counted."""
        self.enabled = settings.enabled
        self.max_tokens = max_tokens
        self.limits = (
            ("address", parse_many(settings.per_address)),
            ("token", parse_many(settings.per_token)),
        )
        options = _storage_options(settings.storage_url)
        self.storage = storage_from_string(storage_uri(settings.storage_url), wrap_exceptions=True, **options)
        self._counter = MovingWindowRateLimiter(self.storage)
        self._fallback = MovingWindowRateLimiter(WindowStorage())
        self._primary_down_until = 0.0

    def check(self, keys: dict[str, str | None]) -> None:
        """Count one request under each key ("address", "token"); raise RateLimited when a limit is exceeded."""
        for kind, items in self.limits:
            key = keys.get(kind)
            if key is None:
                continue
            for item in items:
                counter = self._current_counter()
                try:
                    allowed = _hit(counter, item, key)
                except StorageError:
                    self.storage_failed()
                    allowed = _hit(self._fallback, item, key)
                    counter = self._fallback
                if not allowed:
                    raise RateLimited(BREACH_MESSAGES[kind], _seconds_until_reset(counter, item, key), kind)

    def _current_counter(self) -> MovingWindowRateLimiter:
        return self._fallback if time.monotonic() < self._primary_down_until else self._counter

    def storage_failed(self) -> None:
        """Count in this worker's memory for a while, saying so once per outage."""
        if time.monotonic() >= self._primary_down_until:
            log.warning("rate-limit storage unreachable; counting in this worker's memory until it answers")
        self._primary_down_until = time.monotonic() + RETRY_PRIMARY_S


def install_rate_limits(app: Flask, limits: RateLimitSettings, max_tokens: int = 1) -> RateLimiter:
    """Set up the limits /cloud counts webhooks against (its view calls limit_webhook); other routes stay unlimited."""
    limiter = RateLimiter(limits, max_tokens)
    app.extensions[LIMITER_KEY] = limiter
    return limiter


def limit_webhook(app: Flask, query_tokens: Sequence[str], authorization: str | None, remote_addr: str | None) -> None:
    """Count a webhook against its client address and each token it names; raise RateLimited past a limit.

    The view calls this before it reads or validates anything, so invalid webhooks count too (a token guesser
    is slowed down), and a request that names no token counts only against its address. A webhook to several
    clocks counts once against each of them (its first max_tokens tokens: more are refused anyway).
    """
    limiter: RateLimiter = app.extensions[LIMITER_KEY]
    if not limiter.enabled:
        return
    tokens = token_candidates(query_tokens, authorization)
    limiter.check({"address": address_key(remote_addr), "token": token_key(tokens[0]) if tokens else None})
    if len(tokens) > 1:
        for token in tokens[1 : limiter.max_tokens]:
            limiter.check({"token": token_key(token)})


def token_key(token: str) -> str:
    """Return the per-token key: a digest of a token a request names, whether or not it is valid."""
    return "token:" + _digest(token)


@functools.lru_cache(maxsize=4096)
def address_key(remote_addr: str | None) -> str:
    """Return the per-address key: a digest of the client's address (its /64 for IPv6); recent ones are cached."""
    return "address:" + _digest(client_network(remote_addr))


def client_network(remote_addr: str | None) -> str:
    """Return the address a client is counted under: IPv4 as is, IPv6 by its /64 as one host usually owns it."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def check_storage(app: Flask) -> None:
    """Log one warning when the configured rate-limit storage does not answer (limits then count per worker)."""
    limiter: RateLimiter | None = app.extensions.get(LIMITER_KEY)
    if limiter is None or not limiter.enabled:
        return
    if not limiter.storage.check():
        limiter.storage_failed()


def storage_key(item: RateLimitItem, key: str) -> str:
    """Return the key limits stores one limit's hits under (item.key_for(KEY_PREFIX, key)) for an address or token key."""
    head, tail = _key_parts(item)
    return f"{head}{key}{tail}"


@functools.lru_cache(maxsize=64)
def _key_parts(item: RateLimitItem) -> tuple[str, str]:
    # What limits writes before and after the key: built once per limit, not once per hit (key_for was a third
    # of the limiter's time), and no per-key cache that 10,000 tokens would thrash.
    marker = "\x00"
    head, _, tail = item.key_for(KEY_PREFIX, marker).partition(marker)
    return head, tail


def _hit(counter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> bool:
    # What counter.hit(item, KEY_PREFIX, key) does, with the storage key from storage_key().
    return counter.storage.acquire_entry(storage_key(item, key), item.amount, item.get_expiry())  # type: ignore[union-attr]


def _seconds_until_reset(counter: MovingWindowRateLimiter, item: RateLimitItem, key: str) -> int:
    try:
        reset_at = counter.get_window_stats(item, KEY_PREFIX, key).reset_time
    except StorageError:  # the storage failed between the breach and now; any positive hint will do
        return 1
    return max(1, math.ceil(reset_at - time.time()))


def _storage_options(storage_url: str) -> dict[str, float]:
    if storage_url.startswith("memory:"):
        return {}
    return {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}


def _digest(value: str) -> str:
    # Keys end up in the storage (and possibly in a library's log line): never the token or address itself.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
