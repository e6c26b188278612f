"""One webhook to several clocks: a publish each, an outcome each by index, rate limits counted per token."""

from collections.abc import Callable

import pytest

from gateway.errors import BrokerTimeout, BrokerUnavailable
from gateway.publishing import Publisher
from gateway.settings import RateLimitSettings
from tests.gateway.conftest import Gateway, embedded_settings
from tests.support.clients import Client, Clients
from tests.support.embedded import EmbeddedBroker

A, B, C = "Clock-a-token-0000000001", "Clock-b-token-0000000002", "Clock-c-token-0000000003"


@pytest.fixture
def on_embedded(
    embedded_broker: EmbeddedBroker, make_publisher: Callable[..., Publisher], make_gateway: Callable[..., Gateway]
) -> Callable[..., Gateway]:
    """Return a factory of gateways publishing to the embedded broker."""
    publisher = make_publisher(embedded_settings(embedded_broker))
    return lambda **settings: make_gateway(publisher, **settings)


@pytest.fixture
def clocks(mqtt: Clients) -> dict[str, Client]:
    """Devices for A and B (none for C), each subscribed to its namespace."""
    made = {}
    for token in (A, B):
        made[token] = mqtt.device(token)
        assert made[token].subscribe(f"awtrix/{token}/#") == [0]
    return made


def test_every_named_clock_gets_its_own_publish_and_the_answer_is_200(
    on_embedded: Callable[..., Gateway], clocks: dict[str, Client]
) -> None:
    response = on_embedded().webhook(f"{A},{B}", body=b'{"text":"both"}')
    assert response.status_code == 200
    assert response.get_json() == {
        "mode": "notify",
        "results": [{"index": 0, "delivered": True}, {"index": 1, "delivered": True}],
    }
    for token, clock in clocks.items():
        clock.expect_only(f"awtrix/{token}/notify", b'{"text":"both"}')


@pytest.mark.parametrize(
    ("query", "headers"),
    [([A, C, B], {}), ([], {"Authorization": f"Bearer {A}, {C}, {B}"}), ([f"{A},{C}", B], {})],
)
def test_a_clock_without_device_makes_the_answer_202_and_is_named_by_index(
    on_embedded: Callable[..., Gateway], clocks: dict[str, Client], query: list[str], headers: dict[str, str]
) -> None:
    response = on_embedded().http.post(
        "/cloud", query_string=[("mode", "notify"), *(("token", token) for token in query)], json={"text": "hi"}, headers=headers
    )
    assert response.status_code == 202
    assert response.get_json()["results"] == [
        {"index": 0, "delivered": True},
        {"index": 1, "delivered": False, "reason": "no_device_connected"},
        {"index": 2, "delivered": True},
    ]
    assert not any(token in response.get_data(as_text=True) for token in (A, B, C))


def test_hide_presence_answers_accepted_for_each_clock(on_embedded: Callable[..., Gateway], clocks: dict[str, Client]) -> None:
    response = on_embedded(hide_presence=True).webhook(f"{A},{C}")
    assert (response.status_code, response.get_json()["results"]) == (
        200,
        [{"index": 0, "accepted": True}, {"index": 1, "accepted": True}],
    )


def test_too_many_tokens_is_refused_before_anything_is_published(
    on_embedded: Callable[..., Gateway], clocks: dict[str, Client]
) -> None:
    response = on_embedded(max_tokens_per_request=2).webhook(f"{A},{B},{C}")
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "too_many_tokens")
    for clock in clocks.values():
        clock.sync()
        assert clock.messages.empty()


def test_each_named_token_is_counted_by_the_per_token_limit(
    on_embedded: Callable[..., Gateway], clocks: dict[str, Client]
) -> None:
    gateway = on_embedded(rate_limits=RateLimitSettings(per_token="2/minute", per_address="100/minute"))
    assert gateway.webhook(f"{A},{B}").status_code == 200
    assert gateway.webhook(A).status_code == 200
    assert gateway.webhook(f"{B},{C}").status_code == 202  # B's second, C's first (C has no device)
    for token in (A, B):
        assert gateway.webhook(token).status_code == 429
    assert gateway.webhook(C).status_code == 202


class FailingFor:
    """A publisher that fails for some topics the way the broker link does, and delivers the others."""

    connected = True

    def __init__(self, *failing: str) -> None:
        """Fail for the topics of these tokens."""
        self.failing = failing

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Raise BrokerTimeout for a failing token's topic; deliver the rest."""
        if any(token in topic for token in self.failing):
            raise BrokerTimeout()
        return True


def test_a_broker_error_for_one_clock_is_that_clocks_outcome(make_gateway: Callable[..., Gateway]) -> None:
    response = make_gateway(FailingFor(B)).webhook(f"{A},{B}")
    assert response.status_code == 202
    assert response.get_json()["results"][1] == {
        "index": 1,
        "error": {"code": "broker_timeout", "message": BrokerTimeout().message},
    }


def test_a_broker_error_for_every_clock_is_the_answer(make_gateway: Callable[..., Gateway]) -> None:
    response = make_gateway(FailingFor(A, B)).webhook(f"{A},{B}")
    assert (response.status_code, response.get_json()["error"]["code"], response.headers["Retry-After"]) == (
        503,
        "broker_timeout",
        "1",
    )


class Away:
    """A publisher whose broker is away."""

    connected = False

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Fail like the real publisher without a broker."""
        raise BrokerUnavailable()


def test_no_broker_answers_503_for_several_clocks_as_for_one(make_gateway: Callable[..., Gateway]) -> None:
    assert make_gateway(Away()).webhook(f"{A},{B}").status_code == 503
