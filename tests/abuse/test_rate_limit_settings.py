"""Rate-limit and proxy settings: defaults, every variable, and every problem reported at once by name."""

import pytest

from gateway.settings import GatewaySettings, RateLimitSettings, SettingsError

BASE = {"GATEWAY_SECRET": "a-long-enough-gateway-secret"}
REDIS_PASSWORD = "redis-password-never-echoed"


def problems_of(environ: dict[str, str]) -> tuple[str, ...]:
    """Return the problems GatewaySettings.from_env reports for BASE plus environ."""
    with pytest.raises(SettingsError) as caught:
        GatewaySettings.from_env({**BASE, **environ})
    return caught.value.problems


def test_rate_limit_defaults_are_a_burst_of_10_per_token_and_memory_storage() -> None:
    settings = GatewaySettings.from_env(BASE)
    assert settings.rate_limits == RateLimitSettings(
        enabled=True, per_token="10/10seconds", per_address="600/minute", storage_url="memory://"
    )
    assert settings.trusted_proxy_count == 0


@pytest.mark.parametrize(
    ("name", "raw", "read", "expected"),
    [
        ("RATE_LIMIT_ENABLED", "false", lambda s: s.rate_limits.enabled, False),
        ("RATE_LIMIT_PER_TOKEN", "5/second", lambda s: s.rate_limits.per_token, "5/second"),
        (
            "RATE_LIMIT_PER_TOKEN",
            "10 per 10 seconds;100 per hour",
            lambda s: s.rate_limits.per_token,
            "10 per 10 seconds;100 per hour",
        ),
        ("RATE_LIMIT_PER_ADDRESS", "60 per 1 minute", lambda s: s.rate_limits.per_address, "60 per 1 minute"),
        ("RATE_LIMIT_PER_ADDRESS", "1000 PER DAY", lambda s: s.rate_limits.per_address, "1000 PER DAY"),
        (
            "RATE_LIMIT_STORAGE_URL",
            "redis://redis.internal:6379/2",
            lambda s: s.rate_limits.storage_url,
            "redis://redis.internal:6379/2",
        ),
        (
            "RATE_LIMIT_STORAGE_URL",
            "rediss://:pw@redis.internal",
            lambda s: s.rate_limits.storage_url,
            "rediss://:pw@redis.internal",
        ),
        (
            "RATE_LIMIT_STORAGE_URL",
            "redis+unix:///run/redis.sock",
            lambda s: s.rate_limits.storage_url,
            "redis+unix:///run/redis.sock",
        ),
        ("TRUSTED_PROXY_COUNT", "2", lambda s: s.trusted_proxy_count, 2),
    ],
)
def test_rate_limit_variable_is_parsed(name: str, raw: str, read: object, expected: object) -> None:
    assert read(GatewaySettings.from_env({**BASE, name: raw})) == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    "name",
    ["RATE_LIMIT_ENABLED", "RATE_LIMIT_PER_TOKEN", "RATE_LIMIT_PER_ADDRESS", "RATE_LIMIT_STORAGE_URL", "TRUSTED_PROXY_COUNT"],
)
def test_rate_limit_empty_variable_counts_as_unset(name: str) -> None:
    assert GatewaySettings.from_env({**BASE, name: ""}) == GatewaySettings.from_env(BASE)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("RATE_LIMIT_ENABLED", "sometimes"),
        ("RATE_LIMIT_PER_TOKEN", "10"),
        ("RATE_LIMIT_PER_TOKEN", "0 per second"),
        ("RATE_LIMIT_PER_TOKEN", "10 per 0 seconds"),
        ("RATE_LIMIT_PER_TOKEN", "10 per fortnight"),
        ("RATE_LIMIT_PER_TOKEN", "10 per second;"),
        ("RATE_LIMIT_PER_ADDRESS", "-1 per minute"),
        ("RATE_LIMIT_PER_ADDRESS", "lots"),
        ("RATE_LIMIT_STORAGE_URL", "memcached://cache:11211"),
        ("RATE_LIMIT_STORAGE_URL", "memory://elsewhere"),
        ("RATE_LIMIT_STORAGE_URL", "redis://"),
        ("RATE_LIMIT_STORAGE_URL", "redis://redis:99999"),
        ("RATE_LIMIT_STORAGE_URL", "redis+unix://"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("TRUSTED_PROXY_COUNT", "11"),
        ("TRUSTED_PROXY_COUNT", "one"),
    ],
)
def test_rate_limit_invalid_variable_is_reported_by_name(name: str, raw: str) -> None:
    problems = problems_of({name: raw})
    assert len(problems) == 1
    assert problems[0].startswith(f"{name}: ")


def test_rate_limit_problems_are_all_reported_at_once() -> None:
    problems = problems_of(
        {
            "RATE_LIMIT_PER_TOKEN": "often",
            "RATE_LIMIT_PER_ADDRESS": "0/minute",
            "RATE_LIMIT_STORAGE_URL": "ftp://x",
            "TRUSTED_PROXY_COUNT": "x",
        }
    )
    names = [problem.split(":")[0] for problem in problems]
    assert names == ["RATE_LIMIT_PER_TOKEN", "RATE_LIMIT_PER_ADDRESS", "RATE_LIMIT_STORAGE_URL", "TRUSTED_PROXY_COUNT"]


def test_rate_limit_storage_url_problem_never_quotes_the_url() -> None:
    problems = problems_of({"RATE_LIMIT_STORAGE_URL": f"redis://:{REDIS_PASSWORD}@redis:0"})
    assert problems[0].startswith("RATE_LIMIT_STORAGE_URL: ")
    assert REDIS_PASSWORD not in " ".join(problems)


def test_rate_limit_storage_url_is_kept_out_of_the_settings_repr() -> None:
    settings = GatewaySettings.from_env({**BASE, "RATE_LIMIT_STORAGE_URL": f"redis://:{REDIS_PASSWORD}@redis:6379"})
    assert REDIS_PASSWORD not in repr(settings)
