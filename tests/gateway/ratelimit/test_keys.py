"""The limiter counts each hit where the `limits` library's own moving-window strategy reads it."""

from limits.strategies import MovingWindowRateLimiter

from gateway.ratelimit.limiter import KEY_PREFIX, RateLimiter, address_key, storage_key, token_key
from gateway.ratelimit.storage import WindowStorage
from gateway.settings import RateLimitSettings

TOKEN = "Limit-keys-token-0001"


def test_hits_are_counted_where_limits_reads_the_window() -> None:
    limiter = RateLimiter(RateLimitSettings(per_token="5/minute", per_address="7/minute;100/hour"))
    keys = {"address": address_key("198.51.100.7"), "token": token_key(TOKEN)}
    for _ in range(2):
        limiter.check(keys)
    for kind, items in limiter.limits:
        for item in items:
            assert limiter._counter.get_window_stats(item, KEY_PREFIX, keys[kind]).remaining == item.amount - 2


def test_storage_key_is_the_one_limits_hits_under() -> None:
    storage = WindowStorage()
    limiter = RateLimiter(RateLimitSettings(per_token="5/minute"))
    (item,) = dict(limiter.limits)["token"]
    MovingWindowRateLimiter(storage).hit(item, KEY_PREFIX, token_key(TOKEN))
    assert list(storage.events) == [storage_key(item, token_key(TOKEN))]
