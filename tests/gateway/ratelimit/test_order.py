"""The rate limit counts a webhook before its body is read or anything in it is checked."""

from collections.abc import Callable

from gateway.settings import RateLimitSettings
from tests.gateway.conftest import Gateway, UnusedPublisher

TOKEN = "Limit-order-token-0001"
TWO_PER_TOKEN = RateLimitSettings(per_token="2 per 30 seconds", per_address="1000 per minute")
OVERSIZED = b'{"text":"' + b"x" * 9000 + b'"}'


def test_oversized_and_invalid_webhooks_count_against_the_limit(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(UnusedPublisher(), rate_limits=TWO_PER_TOKEN)
    assert gateway.webhook(TOKEN, body=OVERSIZED).status_code == 413
    assert gateway.webhook(TOKEN, mode="no-such-mode").status_code == 400
    assert gateway.webhook(TOKEN).status_code == 429


def test_a_limited_client_gets_429_whatever_its_body(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(UnusedPublisher(), rate_limits=TWO_PER_TOKEN)
    for _ in range(2):
        gateway.webhook(TOKEN, mode=None)
    assert gateway.webhook(TOKEN, body=OVERSIZED).status_code == 429
    assert gateway.webhook(TOKEN, body=b"not json").status_code == 429


def test_other_routes_are_not_counted(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(UnusedPublisher(), rate_limits=TWO_PER_TOKEN)
    for _ in range(3):
        assert gateway.http.put("/cloud", query_string={"mode": "notify", "token": TOKEN}).status_code == 405
    assert gateway.webhook(TOKEN, mode=None).status_code == 400
