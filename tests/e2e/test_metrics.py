"""Metrics of the real processes: a 3-worker gunicorn and the broker, scraped while a real device receives webhooks."""

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from common.tokens import generate_token
from tests.support.clients import Client, Clients
from tests.support.http import pipelined, request, webhook, webhook_request
from tests.support.monitoring import alert_queries, dashboard_queries, named
from tests.support.mosquitto import free_ports
from tests.support.processes import Process, start_broker, start_gateway
from tests.support.relays import Relay, mosquitto_relay
from tests.support.scrape import Scrape, scrape, scrape_until

WORKERS = 3
LISTENING = r"metrics listening on http://[\d.]+:(\d+)"
WEBHOOKS = "awtrix_gateway_webhooks_total"
# One address sends everything here; the per-token limit stays at its default (10 per 10 s).
METERED = {"GATEWAY_METRICS_PORT": "0", "METRICS_PORT": "0", "RATE_LIMIT_PER_ADDRESS": "100000/minute"}


@dataclass
class Metered:
    """The broker and a gateway in front of it, both with their metrics listeners on."""

    env: dict[str, str]
    broker: Process
    gateway: Process
    http_port: int
    gateway_metrics: int
    broker_metrics: int

    @property
    def relay(self) -> Relay:
        """The broker, for device clients."""
        port = int(self.env["MQTT_PORT"])
        return Relay("embedded", "127.0.0.1", port, port, "gateway", self.env["GATEWAY_SECRET"])

    def restart_broker(self) -> None:
        """Stop the broker and start it again on the same MQTT port."""
        self.broker.stop()
        self.broker, _ = start_broker(self.env)
        self.broker_metrics = int(self.broker.wait_for(LISTENING).group(1))


@pytest.fixture(scope="module")
def metered() -> Iterator[Metered]:
    """Start the broker on a fixed port (so it can restart there) and a 3-worker gateway, both metered."""
    (mqtt_port,) = free_ports(1)
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24), "MQTT_PORT": str(mqtt_port), **METERED}
    broker, _ = start_broker(env)
    gateway, http_port = start_gateway(env, workers=WORKERS)
    system = Metered(env, broker, gateway, http_port, int(gateway.wait_for(LISTENING).group(1)),
                     int(broker.wait_for(LISTENING).group(1)))  # fmt: skip
    try:
        scrape_until(system.gateway_metrics, lambda s: s.value("awtrix_gateway_broker_up") == WORKERS)
        yield system
    finally:
        gateway.stop()
        system.broker.stop()


@pytest.fixture
def device(metered: Metered) -> Iterator[tuple[str, Client]]:
    """A real paho device subscribed to its token's notify topic."""
    clients = Clients(metered.relay)
    token = generate_token()
    clock = clients.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    yield token, clock
    clients.close_all()


def deltas(before: Scrape, after: Scrape, answers: dict[tuple[str, str], int]) -> dict[tuple[str, str], float]:
    return {key: after.value(WEBHOOKS, family=key[0], answer=key[1]) - before.value(WEBHOOKS, family=key[0], answer=key[1])
            for key in answers}  # fmt: skip


def test_counters_move_by_exactly_what_was_sent_per_answer(metered: Metered, device: tuple[str, Client]) -> None:
    token, clock = device
    gateway_before, broker_before = scrape(metered.gateway_metrics), scrape(metered.broker_metrics)
    port = metered.http_port
    assert [webhook(port, token, payload={"n": n}).status for n in range(7)] == [200] * 7
    assert [webhook(port, generate_token()).status for _ in range(5)] == [202] * 5
    assert [webhook(port, token, raw=b'{"n": ').status for _ in range(3)] == [400] * 3
    assert [webhook(port, token, mode="made-up").status for _ in range(2)] == [400] * 2
    limited = generate_token()  # one keep-alive connection, so one worker, whose limit lets 10 through
    assert pipelined(port, [webhook_request(limited, "custom/some-app") for _ in range(12)]) == [202] * 10 + [429] * 2
    assert [clock.next_message().payload for _ in range(7)] == [b'{"n":%d}' % n for n in range(7)]
    sent = {("notify", "delivered"): 7, ("notify", "no_device_connected"): 5, ("notify", "invalid_json"): 3,
            ("other", "unknown_mode"): 2, ("custom", "no_device_connected"): 10, ("custom", "rate_limited"): 2}  # fmt: skip
    total = sum(sent.values())
    after = scrape_until(metered.gateway_metrics, lambda s: s.total(WEBHOOKS) - gateway_before.total(WEBHOOKS) >= total)
    assert deltas(gateway_before, after, sent) == sent
    assert after.total(WEBHOOKS) - gateway_before.total(WEBHOOKS) == total
    assert after.value("awtrix_gateway_rate_limited_total", kind="token") - gateway_before.value(
        "awtrix_gateway_rate_limited_total", kind="token") == 2  # fmt: skip
    published = 7 + 5 + 10
    count = "awtrix_gateway_broker_ack_duration_seconds_count"
    assert after.value(count) - gateway_before.value(count) == published
    broker_after = scrape(metered.broker_metrics)
    moved = lambda name, **labels: broker_after.value(name, **labels) - broker_before.value(name, **labels)  # noqa: E731
    assert moved("awtrix_broker_messages_routed_total") == 7
    assert moved("awtrix_broker_deliveries_total") == 7
    assert moved("awtrix_broker_messages_dropped_total", reason="no_subscriber") == 15
    assert broker_after.value("awtrix_broker_devices_connected") == 1
    assert broker_after.value("awtrix_broker_gateway_links") == WORKERS
    assert token not in after.text + broker_after.text and "some-app" not in after.text


def test_ten_thousand_distinct_tokens_and_app_names_add_no_series(metered: Metered) -> None:
    port = metered.http_port
    start = scrape(metered.gateway_metrics)
    warm_up = [webhook_request(generate_token(), mode) for mode in ("notify", "custom/first")]  # makes the series
    assert pipelined(port, warm_up) == [202, 202]
    before = scrape_until(metered.gateway_metrics, lambda s: s.total(WEBHOOKS) - start.total(WEBHOOKS) >= 2)
    broker_before = scrape(metered.broker_metrics)
    tokens = [generate_token() for _ in range(10_000)]
    requests = [webhook_request(token, "notify" if n % 2 else f"custom/app-{n}") for n, token in enumerate(tokens)]
    with ThreadPoolExecutor(WORKERS) as senders:  # a connection per thread, spread over the workers
        answers = senders.map(lambda part: pipelined(port, requests[part::WORKERS]), range(WORKERS))
        assert set().union(*answers) == {202}
    after = scrape_until(metered.gateway_metrics, lambda s: s.total(WEBHOOKS) - before.total(WEBHOOKS) >= 10_000)
    assert after.total(WEBHOOKS) - before.total(WEBHOOKS) == 10_000
    assert after.series == before.series
    assert scrape(metered.broker_metrics).series == broker_before.series
    assert not any(token in after.text for token in tokens[:100])
    assert "app-" not in after.text


def test_broker_restart_shows_in_link_state_and_reconnects(metered: Metered) -> None:
    up, reconnects = "awtrix_gateway_broker_up", "awtrix_gateway_broker_reconnects_total"
    before = scrape_until(metered.gateway_metrics, lambda s: s.value(up) == WORKERS)
    metered.broker.stop()
    # Each worker hears its link close; the gauge goes down with no request at all.
    scrape_until(metered.gateway_metrics, lambda s: s.value(up) == 0)
    metered.restart_broker()
    # On the embedded broker a worker reconnects at its next request: /healthz is one.
    while request(metered.http_port, "GET", "/healthz").status != 200:
        pass
    back = scrape_until(metered.gateway_metrics, lambda s: s.value(up) >= 1)
    assert back.value(reconnects) - before.value(reconnects) == back.value(up)  # one per worker that came back
    assert scrape(metered.broker_metrics).value("awtrix_broker_gateway_links") == back.value(up)


def test_gthread_workers_on_mosquitto_count_every_webhook(tmp_path_factory: pytest.TempPathFactory) -> None:
    with mosquitto_relay(tmp_path_factory.mktemp("mosquitto")) as relay:
        gateway, port = start_gateway({**relay.gateway_env(), **METERED}, workers=2)
        clients = Clients(relay)
        try:
            metrics_port = int(gateway.wait_for(LISTENING).group(1))
            scrape_until(metrics_port, lambda s: s.value("awtrix_gateway_broker_up") == 2)
            token = generate_token()
            clients.device(token).subscribe(f"awtrix/{token}/#")
            statuses = [webhook(port, token).status for _ in range(4)]
            statuses += [webhook(port, generate_token()).status for _ in range(3)]
            assert statuses == [200] * 4 + [202] * 3
            counted = scrape_until(metrics_port, lambda s: s.total(WEBHOOKS) >= 7)
            assert counted.value(WEBHOOKS, family="notify", answer="delivered") == 4
            assert counted.value(WEBHOOKS, family="notify", answer="no_device_connected") == 3
            assert counted.value("awtrix_gateway_broker_ack_duration_seconds_count") == 7
        finally:
            clients.close_all()
            gateway.stop()


def test_every_metric_the_dashboard_and_alerts_name_is_in_the_real_scrapes(metered: Metered, device: tuple[str, Client]) -> None:
    token, clock = device
    assert webhook(metered.http_port, token).status == 200
    clock.next_message()
    assert pipelined(metered.http_port, [webhook_request(token) for _ in range(11)])[-1] == 429  # a refusal too
    gateway = scrape_until(metered.gateway_metrics, lambda s: s.total("awtrix_gateway_rate_limited_total") > 0)
    served = {sample for sample, _ in gateway.samples} | {sample for sample, _ in scrape(metered.broker_metrics).samples}
    assert named(dashboard_queries() + alert_queries()) - served == set()
