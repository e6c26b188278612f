"""Where counts live: memory counts per gateway process; one Redis makes the limit hold across gateways."""

import logging
from collections.abc import Callable, Iterator

import pytest
import redis

from gateway.serving.lifecycle import start_worker
from gateway.settings import RateLimitSettings
from tests.abuse.conftest import UNLIMITED, RedisServer
from tests.gateway.conftest import Gateway, UnusedPublisher
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.http import CLIENT_ADDRESS, webhook
from tests.support.mosquitto import free_ports
from tests.support.processes import Process, start_gateway

TOKEN = "Shared-limit-token-00001"
LIMIT = 4


def shared(storage_url: str) -> RateLimitSettings:
    """A per-token limit of LIMIT per 30 seconds counted in storage_url."""
    return RateLimitSettings(per_token=f"{LIMIT}/30seconds", per_address=UNLIMITED.per_address, storage_url=storage_url)


def alternate(gateways: list[Gateway], count: int) -> list[int]:
    """Send count webhooks for TOKEN, taking turns between gateways, and return the statuses."""
    return [gateways[n % len(gateways)].webhook(TOKEN).status_code for n in range(count)]


def test_memory_storage_counts_per_gateway_so_limits_multiply(gateway_with: Callable[..., Gateway]) -> None:
    gateways = [gateway_with(rate_limits=shared("memory://")) for _ in range(2)]
    # What config/env.example warns about: each worker (here each app) allows the whole limit.
    assert alternate(gateways, 2 * LIMIT + 2) == [202] * (2 * LIMIT) + [429, 429]


def test_redis_storage_holds_one_limit_across_gateways(gateway_with: Callable[..., Gateway], redis_server: RedisServer) -> None:
    gateways = [gateway_with(rate_limits=shared(redis_server.url)) for _ in range(2)]
    assert alternate(gateways, LIMIT + 2) == [202] * LIMIT + [429, 429]


def test_redis_keys_hold_neither_token_nor_address(gateway_with: Callable[..., Gateway], redis_server: RedisServer) -> None:
    gateway = gateway_with(rate_limits=shared(redis_server.url))
    assert gateway.webhook(TOKEN).status_code == 202
    keys = [key.decode() for key in redis.Redis(port=redis_server.port).keys("*")]
    assert len(keys) == 2  # one per-token and one per-address window
    assert all(key.startswith("LIMITS:LIMITER/awtrix-gateway/") for key in keys)
    assert not any(TOKEN in key or "127.0.0.1" in key for key in keys)


def test_redis_outage_falls_back_to_memory_and_keeps_limiting(
    gateway_with: Callable[..., Gateway], redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = gateway_with(rate_limits=shared(redis_server.url))
    assert gateway.webhook(TOKEN).status_code == 202
    redis_server.stop()
    # No 500 and no hang: the worker counts in its own memory (afresh) while Redis is away.
    assert alternate([gateway], LIMIT + 1) == [202] * LIMIT + [429]
    assert "rate-limit storage unreachable; counting in this worker's memory until it answers" in caplog.text


def test_worker_start_warns_once_when_redis_does_not_answer(
    make_gateway: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    nothing_there = f"redis://127.0.0.1:{free_ports(1)[0]}/0"
    gateway = make_gateway(UnusedPublisher(), rate_limits=shared(nothing_there))
    start_worker(gateway.http.application)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "gateway.ratelimit"]
    assert warnings == ["rate-limit storage unreachable; counting in this worker's memory until it answers"]


@pytest.fixture
def two_gunicorns(embedded_broker: EmbeddedBroker, redis_server: RedisServer) -> Iterator[list[int]]:
    """Two separate gunicorn gateways, two workers each, counting in one Redis; yields their HTTP ports."""
    env = {
        "GATEWAY_SECRET": TEST_SECRET,
        "MQTT_PORT": str(embedded_broker.port),
        "RATE_LIMIT_STORAGE_URL": redis_server.url,
        "RATE_LIMIT_PER_TOKEN": f"{LIMIT}/30seconds",
    }
    started: list[Process] = []
    ports = []
    try:
        for _ in range(2):
            process, port = start_gateway(env, workers=2)
            started.append(process)
            ports.append(port)
            process.wait_for("connected to the MQTT broker")
        yield ports
    finally:
        for process in started:
            process.stop()


def test_redis_holds_one_limit_across_two_gunicorn_processes(two_gunicorns: list[int], redis_server: RedisServer) -> None:
    answers = [webhook(two_gunicorns[n % 2], TOKEN) for n in range(LIMIT + 4)]
    assert [answer.status for answer in answers] == [202] * LIMIT + [429] * 4
    refused = answers[-1]
    assert refused.body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 30
    keys = b" ".join(redis.Redis(port=redis_server.port).keys("*")).decode()
    assert TOKEN not in keys
    assert CLIENT_ADDRESS not in keys
