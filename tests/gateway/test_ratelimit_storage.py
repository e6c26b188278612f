"""The in-process rate-limit storage: limits' own counting, with its stale-entry sweep at most once a second."""

import time
from importlib.metadata import version

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway import create_app
from gateway.ratelimit import LIMITER_KEY
from gateway.ratelimit_storage import SWEEP_EVERY_S, LazySweepMemoryStorage, storage_uri
from gateway.settings import GatewaySettings


def test_limits_still_has_the_private_hooks_we_override() -> None:
    assert version("limits") == "5.8.0"
    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert hasattr(MemoryStorage, "_MemoryStorage__expire_events")


def test_memory_url_gets_the_lazy_storage_and_others_pass_through() -> None:
    assert isinstance(storage_from_string(storage_uri("memory://")), LazySweepMemoryStorage)
    assert storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_gateway_counts_in_the_lazy_storage_by_default() -> None:
    app = create_app(GatewaySettings(), publisher=None)
    assert isinstance(app.extensions[LIMITER_KEY].storage, LazySweepMemoryStorage)


def test_many_hits_start_one_sweep_timer_not_one_per_hit() -> None:
    storage = LazySweepMemoryStorage()
    storage.timer.join()  # the constructor's own first sweep
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("10/second")
    timers = set()
    for n in range(100):  # hits spread over > 100 ms: limits' own storage would start ~10 sweeps
        limiter.hit(limit, f"key-{n}")
        timers.add(storage.timer)
        time.sleep(0.001)
    assert len(timers) == 1
    assert storage.timer.interval == SWEEP_EVERY_S


def test_counting_is_unchanged_a_burst_then_refusal() -> None:
    limiter = MovingWindowRateLimiter(LazySweepMemoryStorage())
    limit = parse("10/10seconds")
    assert [limiter.hit(limit, "token") for _ in range(11)] == [True] * 10 + [False]
