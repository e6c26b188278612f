"""POST /cloud is rate-limited per token and per client address; answers are 429 with Retry-After in the envelope."""

import logging
import time
from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from gateway.errors import ERROR_CODES
from gateway.ratelimit.limiter import LIMITER_KEY
from gateway.settings import RateLimitSettings
from tests.abuse.conftest import UNLIMITED
from tests.gateway.conftest import Gateway

TOKEN = "Rate-limited-token-0001"
OTHER_TOKEN = "Rate-limited-token-0002"
CLIENT = "198.51.100.7"
OTHER_CLIENT = "198.51.100.8"
NOTIFY = b'{"text":"hi"}'


def per_token(limit: str) -> RateLimitSettings:
    """Settings with only a per-token limit that tests can reach."""
    return RateLimitSettings(per_token=limit, per_address=UNLIMITED.per_address)


def per_address(limit: str) -> RateLimitSettings:
    """Settings with only a per-address limit that tests can reach."""
    return RateLimitSettings(per_token=UNLIMITED.per_token, per_address=limit)


def send(
    gateway: Gateway,
    token: str | None = TOKEN,
    client: str = CLIENT,
    body: bytes = NOTIFY,
    headers: dict[str, str] | None = None,
) -> TestResponse:
    """POST /cloud?mode=notify from a given client address, with the token in the query unless None."""
    query = {"mode": "notify", **({"token": token} if token is not None else {})}
    return gateway.http.post(
        "/cloud",
        query_string=query,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        environ_base={"REMOTE_ADDR": client},
    )


def assert_rate_limited(response: TestResponse, window_s: int) -> None:
    """Assert a 429 in the envelope with code rate_limited and a Retry-After within the window."""
    assert response.status_code == 429
    body = response.get_json()
    assert body == {"error": {"code": "rate_limited", "message": body["error"]["message"]}}
    assert "rate_limited" in ERROR_CODES
    assert 1 <= int(response.headers["Retry-After"]) <= window_s


def test_token_burst_is_allowed_then_answers_429_with_retry_after(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_token("3 per 30 seconds"))
    assert [send(gateway).status_code for _ in range(3)] == [202, 202, 202]
    refused = send(gateway)
    assert_rate_limited(refused, 30)
    assert "token" in refused.get_json()["error"]["message"]


def test_default_limit_lets_a_token_send_a_burst_of_10(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with()
    assert [send(gateway).status_code for _ in range(10)] == [202] * 10
    assert_rate_limited(send(gateway), 10)


def test_one_tokens_limit_leaves_other_tokens_alone(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_token("2 per 30 seconds"))
    assert [send(gateway).status_code for _ in range(3)] == [202, 202, 429]
    assert send(gateway, OTHER_TOKEN).status_code == 202


def test_bearer_header_and_query_token_count_against_one_limit(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_token("2 per 30 seconds"))
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert send(gateway).status_code == 202
    assert send(gateway, token=None, headers=bearer).status_code == 202
    assert send(gateway, token=None, headers=bearer).status_code == 429


def test_requests_that_fail_validation_still_count_against_the_token(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_token("2 per 30 seconds"))
    assert [send(gateway, body=b"{oops").status_code for _ in range(2)] == [400, 400]
    assert send(gateway).status_code == 429


def test_token_guesser_is_limited_per_address_whatever_tokens_it_tries(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_address("4 per 30 seconds"))
    guesses = ["short", "guess-000000000001", "guess-000000000002", "x" * 80]
    assert [send(gateway, token=guess).status_code for guess in guesses] == [400, 202, 202, 400]
    refused = send(gateway, token="guess-000000000003")
    assert_rate_limited(refused, 30)
    assert "address" in refused.get_json()["error"]["message"]
    assert send(gateway, token="guess-000000000003", client=OTHER_CLIENT).status_code == 202


def test_requests_without_a_token_are_limited_per_address(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=RateLimitSettings(per_token="1 per 30 seconds", per_address="3 per 30 seconds"))
    assert [send(gateway, token=None).status_code for _ in range(4)] == [400, 400, 400, 429]


def test_forwarded_for_is_ignored_unless_the_operator_trusts_a_proxy(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_address("2 per 30 seconds"))
    answers = [send(gateway, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert answers == [202, 202, 429]


def test_forwarded_for_names_the_client_behind_one_trusted_proxy(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_address("2 per 30 seconds"), trusted_proxy_count=1)
    proxy = "10.0.0.2"
    spread = [send(gateway, client=proxy, headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert spread == [202, 202, 202]
    # The proxy appends the address it saw; whatever the client wrote before it is not trusted.
    spoofed = [f"192.0.2.{n}, 203.0.113.50" for n in range(3)]
    answers = [send(gateway, client=proxy, headers={"X-Forwarded-For": value}).status_code for value in spoofed]
    assert answers == [202, 202, 429]


def test_ipv6_clients_are_counted_per_64_prefix(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_address("2 per 30 seconds"))
    same_network = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::abcd"]
    assert [send(gateway, client=address).status_code for address in same_network] == [202, 202, 429]
    assert send(gateway, client="2001:db8:1:3::1").status_code == 202


def test_health_and_openapi_are_never_limited(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=RateLimitSettings(per_token="1 per 30 seconds", per_address="1 per 30 seconds"))
    answers = [gateway.http.get(path).status_code for path in ("/healthz", "/openapi.json") * 5]
    assert answers == [200] * 10
    assert [send(gateway).status_code for _ in range(2)] == [202, 429]


def test_rate_limits_switched_off_never_answer_429(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(
        rate_limits=RateLimitSettings(enabled=False, per_token="1 per 30 seconds", per_address="1 per 30 seconds")
    )
    assert {send(gateway).status_code for _ in range(5)} == {202}


def test_retry_after_is_truthful(gateway_with: Callable[..., Gateway]) -> None:
    gateway = gateway_with(rate_limits=per_token("2 per 1 second"))
    assert [send(gateway).status_code for _ in range(3)] == [202, 202, 429]
    retry_after_s = int(send(gateway).headers["Retry-After"])
    assert retry_after_s == 1
    time.sleep(retry_after_s)  # the behaviour under test is the passing of time, not a race to wait out
    assert send(gateway).status_code == 202


def test_rate_limit_keys_hold_no_token_or_address_even_in_debug_logs(
    gateway_with: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    gateway = gateway_with(rate_limits=per_token("1 per 30 seconds"), log_level="DEBUG")
    caplog.set_level(logging.DEBUG)
    assert [send(gateway).status_code for _ in range(2)] == [202, 429]
    assert TOKEN not in caplog.text
    assert CLIENT not in caplog.text
    storage = gateway.http.application.extensions[LIMITER_KEY].storage
    stored = repr(storage.events)  # what the counts are kept under: digests only
    assert "awtrix-gateway" in stored
    assert TOKEN not in stored and CLIENT not in stored


