"""The in-process rate-limit storage: limits' own counting rule on bounded windows, dropped in order, no thread."""

import random
import threading
import time
from importlib.metadata import version

import pytest
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from gateway.app import create_app
from gateway.ratelimit.limiter import LIMITER_KEY
from gateway.ratelimit.storage import WindowStorage, storage_uri
from gateway.settings import GatewaySettings


def test_limits_still_has_the_private_hooks_we_override() -> None:
    assert version("limits") == "5.8.0"
    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert hasattr(MemoryStorage, "_MemoryStorage__expire_events")


def test_memory_url_gets_the_lazy_storage_and_others_pass_through() -> None:
    assert isinstance(storage_from_string(storage_uri("memory://")), WindowStorage)
    assert storage_uri("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_the_gateway_counts_in_the_lazy_storage_by_default() -> None:
    app = create_app(GatewaySettings(), publisher=None)
    assert isinstance(app.extensions[LIMITER_KEY].storage, WindowStorage)


def test_moving_window_hits_start_no_thread() -> None:
    storage = WindowStorage()
    storage.timer.join()  # limits' constructor starts one timer; it finds nothing to do
    limiter = MovingWindowRateLimiter(storage)
    limit = parse("10/second")
    threads = threading.active_count()
    for n in range(100):  # limits' own storage would start a sweep thread 10 ms after each of these
        limiter.hit(limit, f"key-{n}")
    assert threading.active_count() == threads
    assert not storage.timer.is_alive()


def test_counting_is_unchanged_a_burst_then_refusal() -> None:
    limiter = MovingWindowRateLimiter(WindowStorage())
    limit = parse("10/10seconds")
    assert [limiter.hit(limit, "token") for _ in range(11)] == [True] * 10 + [False]


class FakeClock:
    """A time.time() that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("limit", "expiry"), [(1, 1), (3, 2), (10, 10)])
def test_hits_and_windows_match_limits_own_memory_storage(monkeypatch: pytest.MonkeyPatch, limit: int, expiry: int) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "time", clock)
    ours, theirs = WindowStorage(), MemoryStorage()
    steps = random.Random(f"{limit}/{expiry}")
    for _ in range(2000):
        clock.now += steps.choice((0.0, 0.001, expiry / 7, expiry / 2, expiry, 3 * expiry))
        amount = steps.choice((1, 1, 1, 2))
        assert ours.acquire_entry("key", limit, expiry, amount) == theirs.acquire_entry("key", limit, expiry, amount)
        our_start, our_count = ours.get_moving_window("key", limit, expiry)
        their_start, their_count = theirs.get_moving_window("key", limit, expiry)
        assert our_count == their_count
        if our_count:  # with no hit in the window, each reports some older hit it keeps: never a reset in the future
            assert our_start == their_start


def test_a_window_keeps_at_most_limit_hits_and_is_dropped_once_its_newest_hit_is_out(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "time", clock)
    storage = WindowStorage()
    for n in range(50):
        clock.now += 0.1
        storage.acquire_entry(f"key-{n % 2}", 5, 1)
    last_hit = clock.now
    assert [len(storage.events[key]) for key in ("key-0", "key-1")] == [5, 5]
    clock.now += 0.95  # key-1's last hit is 0.95 s old, key-0's 1.05 s
    storage.acquire_entry("key-2", 5, 1)  # any hit drops what is stale
    assert list(storage.events) == ["key-1", "key-2"]
    assert storage.events["key-1"][-1] == last_hit
    assert all(last_hit - hit < 1.0 + 1e-6 for hit in storage.events["key-1"])  # no hit older than its window
    assert storage.get_moving_window("key-1", 5, 1)[1] == 1
    assert storage.get_moving_window("key-0", 5, 1) == (clock.now, 0)


def test_memory_follows_the_tokens_of_the_last_window_not_every_token_ever_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "time", clock)
    storage = WindowStorage()
    for n in range(10_000):  # 10,000 tokens over 10 s, a 1 s window each, two limits of different lengths
        clock.now += 0.001
        storage.acquire_entry(f"token-{n}", 10, 1)
        storage.acquire_entry(f"address-{n % 7}", 600, 60)
    assert 990 <= len([key for key in storage.events if key.startswith("token-")]) <= 1001
    assert len(storage.events) == len(storage.by_last_hit[1]) + len(storage.by_last_hit[60])
    clock.now += 61
    storage.acquire_entry("token-new", 10, 1)
    assert list(storage.events) == ["token-new"]


def test_a_busy_key_with_a_high_limit_holds_only_its_last_windows_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(time, "time", clock)
    storage = WindowStorage()
    for _ in range(10_000):  # 1,000 hits a second for 10 s under a limit of 100,000 a second
        clock.now += 0.001
        assert storage.acquire_entry("address", 100_000, 1)
    assert 999 <= len(storage.events["address"]) <= 1001
