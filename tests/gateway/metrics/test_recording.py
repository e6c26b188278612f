"""Each webhook is counted once, under its mode family and answer, with nothing the sender chose in any label."""

from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from gateway.app import create_app
from gateway.errors import BrokerTimeout, BrokerUnavailable
from gateway.metrics.definitions import GatewayMetrics
from gateway.metrics.recording import METRICS_KEY, Recorder
from gateway.publishing.outcome import Outcome
from gateway.settings import GatewaySettings, RateLimitSettings
from tests.gateway.conftest import Gateway
from tests.support.scrape import Scrape, parse

WEBHOOKS = "awtrix_gateway_webhooks_total"
UNLIMITED = RateLimitSettings(per_token="1000/second", per_address="1000/second")


class ScriptedPublisher:
    """Answers each publish with the next value of its script: reached a device, nobody listens, cannot say, or raise."""

    connected = True

    def __init__(self, *script: bool | Exception | None) -> None:
        self.script = list(script)
        self.payloads: list[bytes] = []

    def send(self, topic: str, payload: bytes, reply_timeout_s: float = 0.0) -> Outcome:
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.payloads.append(payload)
        if answer is None:
            return Outcome(None)
        return Outcome(1) if answer else Outcome(0, connections=0, trees=frozenset())  # nothing to translate for

    def probe(self, token: str, firmware: object) -> bool:
        return False


class Metered:
    """A gateway app with metrics on, recording into a registry of the test's own."""

    def __init__(self, publisher: ScriptedPublisher, **settings: object) -> None:
        app = create_app(GatewaySettings(metrics_port=0, **{"rate_limits": UNLIMITED, **settings}), publisher)  # type: ignore[arg-type]
        self.gateway = Gateway(app.test_client(), publisher)
        self.recorder: Recorder = app.extensions[METRICS_KEY]
        self.registry = CollectorRegistry()
        self.recorder.sink = GatewayMetrics(self.registry)

    def scrape(self) -> Scrape:
        """Flush the tally as the worker's thread would, and read what a scrape would serve."""
        self.recorder.tally.flush(self.recorder.sink)
        return parse(generate_latest(self.registry).decode())


@pytest.fixture
def metered() -> Callable[..., Metered]:
    return Metered


def test_each_webhook_is_counted_once_under_its_family_and_answer(metered: Callable[..., Metered], token: str) -> None:
    publisher = ScriptedPublisher(True, False, None, False, BrokerTimeout(), BrokerUnavailable())
    relay = metered(publisher)
    web = relay.gateway
    statuses = [
        web.webhook(token).status_code,
        web.webhook(token, mode="custom/secret-app-name").status_code,
        web.webhook(token, mode="settings").status_code,
        web.webhook(token, mode="nextapp").status_code,
        web.webhook(token).status_code,
        web.webhook(token, mode="custom/other-app").status_code,
        web.webhook(token, body=b'{"text": ').status_code,
        web.webhook(token, mode="made-up-mode").status_code,
        web.webhook(None).status_code,
        web.webhook(token, mode="reboot").status_code,
        web.http.put("/cloud", query_string={"mode": "notify", "token": token}).status_code,
        web.webhook(token, body=b"x" * 9000).status_code,
        web.http.get("/healthz").status_code,
        web.http.get(f"/nowhere/{token}").status_code,
    ]
    assert statuses == [200, 202, 200, 202, 503, 503, 400, 400, 400, 403, 405, 413, 200, 404]
    counted = relay.scrape()
    expected = {
        ("notify", "delivered"): 1, ("custom", "no_device_connected"): 1, ("settings", "delivery_unknown"): 1,
        ("nextapp", "no_device_connected"): 1, ("notify", "broker_timeout"): 1, ("custom", "broker_unavailable"): 1,
        ("notify", "invalid_json"): 1, ("other", "unknown_mode"): 1, ("notify", "missing_token"): 1,
        ("reboot", "mode_not_enabled"): 1, ("notify", "method_not_allowed"): 1, ("notify", "body_too_large"): 1,
    }  # fmt: skip
    assert {labels: counted.value(WEBHOOKS, family=labels[0], answer=labels[1]) for labels in expected} == expected
    assert counted.total(WEBHOOKS) == len(expected)  # /healthz and the unknown path are not webhooks
    assert counted.value("awtrix_gateway_webhook_duration_seconds_count") == len(expected)
    assert counted.value("awtrix_gateway_broker_ack_duration_seconds_count") == 4  # the publishes that got an answer
    assert counted.value("awtrix_gateway_published_bytes_total") == sum(len(payload) for payload in publisher.payloads)
    assert token not in counted.text and "secret-app-name" not in counted.text


def test_hidden_presence_counts_every_answer_it_hides_as_accepted(metered: Callable[..., Metered], token: str) -> None:
    relay = metered(ScriptedPublisher(True, False), hide_presence=True)
    assert [relay.gateway.webhook(token).get_json() for _ in range(2)] == [{"accepted": True, "mode": "notify"}] * 2
    counted = relay.scrape()
    assert counted.value(WEBHOOKS, family="notify", answer="accepted") == 2  # what the gateway chose not to know


@pytest.mark.parametrize(
    ("limits", "same_token", "kind"),
    [(RateLimitSettings(per_token="2/minute", per_address="100/minute"), True, "token"),
     (RateLimitSettings(per_token="100/minute", per_address="2/minute"), False, "address")],
)  # fmt: skip
def test_rate_limit_refusals_are_counted_by_kind(
    metered: Callable[..., Metered], limits: RateLimitSettings, same_token: bool, kind: str
) -> None:
    relay = metered(ScriptedPublisher(False, False), rate_limits=limits)
    tokens = ["token-number-000" if same_token else f"token-number-{n:03}" for n in range(3)]
    assert [relay.gateway.webhook(token).status_code for token in tokens] == [202, 202, 429]
    counted = relay.scrape()
    assert counted.value("awtrix_gateway_rate_limited_total", kind=kind) == 1
    assert counted.total("awtrix_gateway_rate_limited_total") == 1
    assert counted.value(WEBHOOKS, family="notify", answer="rate_limited") == 1


def test_a_flush_adds_only_what_was_counted_since_the_last(metered: Callable[..., Metered], token: str) -> None:
    relay = metered(ScriptedPublisher(True, True, True))
    relay.gateway.webhook(token)
    assert relay.scrape().value(WEBHOOKS, family="notify", answer="delivered") == 1
    relay.gateway.webhook(token)
    relay.gateway.webhook(token)
    relay.recorder.tally.flush(relay.recorder.sink)
    again = relay.scrape()
    assert again.value(WEBHOOKS, family="notify", answer="delivered") == 3
    assert again.value("awtrix_gateway_webhook_duration_seconds_count") == 3


def test_link_changes_set_the_gauge_and_count_reconnections(metered: Callable[..., Metered]) -> None:
    relay = metered(ScriptedPublisher())
    recorder = relay.recorder
    recorder.link_changed(True)  # before start(): the worker has not forked yet
    recorder.start()
    try:
        seen = []
        for up in (True, False, False, True, False, True):
            recorder.link_changed(up)
            scraped = relay.scrape()
            seen.append((scraped.value("awtrix_gateway_broker_up"), scraped.value("awtrix_gateway_broker_reconnects_total")))
        assert seen == [(1, 0), (0, 0), (0, 0), (1, 1), (0, 1), (1, 2)]
        assert relay.scrape().value("awtrix_gateway_workers") == 1
    finally:
        recorder.stop()


def test_with_metrics_off_nothing_is_installed(token: str) -> None:
    app = create_app(GatewaySettings(rate_limits=UNLIMITED), ScriptedPublisher(True))
    assert METRICS_KEY not in app.extensions
    assert app.test_client().post("/cloud", query_string={"mode": "notify", "token": token}, json={}).status_code == 200
