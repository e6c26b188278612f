"""Limit webhooks per token and per client address with flask-limiter, keyed by digests, never in clear."""

import hashlib
import ipaddress
import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limit, Limiter, RateLimitExceeded

from gateway.errors import RateLimited
from gateway.ratelimit_storage import storage_uri
from gateway.settings import RateLimitSettings
from gateway.validation import token_candidates

log = logging.getLogger(__name__)

LIMITER_KEY = "gateway.limiter"
LIMITED_ENDPOINT = "gateway.cloud"
KEY_PREFIX = "awtrix-gateway"
# A Redis that stops answering must not hold webhooks up: the limiter falls back to memory instead.
REDIS_TIMEOUT_S = 0.5
_RETRY = "retry after the number of seconds in the Retry-After header."
BREACH_MESSAGES = {
    "token": f"This token has sent too many webhooks; {_RETRY}",
    "address": f"This client address has sent too many requests; {_RETRY}",
}


def install_rate_limits(app: Flask, limits: RateLimitSettings) -> Limiter:
    """Limit POST /cloud per token and per client address; every other route stays unlimited."""
    limiter = Limiter(
        key_func=address_key,
        app=app,
        default_limits=[
            Limit(limits.per_token, key_function=token_key, exempt_when=names_no_token, error_message=BREACH_MESSAGES["token"]),
            Limit(limits.per_address, key_function=address_key, error_message=BREACH_MESSAGES["address"]),
        ],
        # A moving window never lets more than the limit through in any window, unlike a fixed
        # window, which lets twice the limit through across a window boundary.
        strategy="moving-window",
        storage_uri=storage_uri(limits.storage_url),
        storage_options=_storage_options(limits.storage_url),  # type: ignore[arg-type]
        key_prefix=KEY_PREFIX,
        headers_enabled=False,
        # If Redis fails, count in this worker's memory and keep serving rather than answer 500.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        enabled=limits.enabled,
    )
    limiter.request_filter(lambda: request.endpoint != LIMITED_ENDPOINT)
    app.extensions[LIMITER_KEY] = limiter
    return limiter


def token_key() -> str:
    """Return the per-token key: a digest of the tokens the request names, whether or not they are valid."""
    candidates = token_candidates(request.args.getlist("token"), request.headers.get("Authorization"))
    return "token:" + _digest("\n".join(sorted(candidates)))


def names_no_token() -> bool:
    """Return True when the request names no token, so only the per-address limit applies."""
    return not token_candidates(request.args.getlist("token"), request.headers.get("Authorization"))


def address_key() -> str:
    """Return the per-address key: a digest of the client's address (its /64 for IPv6)."""
    return "address:" + _digest(client_network(request.remote_addr))


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


def rate_limited(error: RateLimitExceeded) -> RateLimited:
    """Return the API error for a breached limit, with the seconds until the limit lets a request through."""
    return RateLimited(error.description, retry_after_s=_seconds_until_reset())


def check_storage(app: Flask) -> None:
    """Log one warning when the configured rate-limit storage does not answer (limits then count per worker)."""
    limiter: Limiter | None = app.extensions.get(LIMITER_KEY)
    if limiter is None or not limiter.enabled:
        return
    if not limiter.storage.check():
        log.warning("rate-limit storage unreachable; counting in this worker's memory until it answers")


def _seconds_until_reset() -> int:
    limiter: Limiter = current_app.extensions[LIMITER_KEY]
    breached = limiter.current_limit
    if breached is None:
        return 1
    try:
        reset_at = breached.window.reset_time
    except Exception:  # the storage failed between the breach and now; any positive hint will do
        log.debug("could not read the rate-limit window", exc_info=True)
        return 1
    return max(1, math.ceil(reset_at - time.time()))


def _storage_options(storage_url: str) -> dict[str, float]:
    if storage_url.startswith("memory:"):
        return {}
    return {"socket_timeout": REDIS_TIMEOUT_S, "socket_connect_timeout": REDIS_TIMEOUT_S}


def _digest(value: str) -> str:
    # Keys end up in the storage (and possibly in a library's log line): never the token or address itself.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
