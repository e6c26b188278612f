"""config/grafana and config/prometheus only ask for metrics the relay really exports."""

import re
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from gateway.errors import ERRORS, HttpError
from gateway.metrics.definitions import GatewayMetrics
from tests.support.embedded import EmbeddedBroker
from tests.support.monitoring import (
    ALERTS,
    DASHBOARD,
    OURS,
    SCRAPE_CONFIG,
    SUFFIXES,
    alert_queries,
    dashboard_queries,
    named,
)
from tests.support.scrape import scrape


@pytest.fixture(scope="module")
def exported() -> Iterator[set[str]]:
    """Every sample name the gateway defines and a real embedded broker serves."""
    names = set()
    for family in GatewayMetrics(CollectorRegistry()).__dict__.values():
        for metric in family.describe():
            names |= {metric.name + suffix for suffix in SUFFIXES[metric.type]}
    broker = EmbeddedBroker(metrics_port=0, metrics_host="127.0.0.1").start()
    try:
        assert broker.metrics is not None
        names |= {sample for sample, _ in scrape(broker.metrics.port).samples}
    finally:
        broker.stop()
    yield names


def test_every_dashboard_query_names_a_metric_the_relay_exports(exported: set[str]) -> None:
    queries = dashboard_queries()
    assert len(queries) >= 20
    for query in queries:
        assert OURS.search(query), f"a query names none of the relay's metrics: {query}"
    assert named(queries) - exported == set()


def test_the_dashboard_shows_what_an_operator_asks_first() -> None:
    titles = {panel["title"] for panel in DASHBOARD["panels"]}
    assert {"Devices online", "Webhooks /s by answer", "Webhook latency", "Refusals /s", "Broker link"} <= titles
    latency = next(panel for panel in DASHBOARD["panels"] if panel["title"] == "Webhook latency")
    assert [target["legendFormat"] for target in latency["targets"]][:2] == ["p50", "p99"]


def test_two_alert_rules_name_only_exported_metrics_and_count_every_server_error(exported: set[str]) -> None:
    rules = {rule["alert"]: rule["expr"] for group in ALERTS["groups"] for rule in group["rules"]}
    assert set(rules) == {"AwtrixBrokerLinkDown", "AwtrixWebhookErrorRatio"}
    assert named(alert_queries()) - exported == set()
    server_errors = {error.code for error in ERRORS if error.status >= 500 and error is not HttpError}
    listed = re.search(r'answer=~"([a-z_|]+)"', rules["AwtrixWebhookErrorRatio"])
    assert listed is not None and set(listed.group(1).split("|")) == server_errors


def test_the_scrape_config_loads_the_alerts_and_names_the_jobs_the_queries_use() -> None:
    assert SCRAPE_CONFIG["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"] for job in SCRAPE_CONFIG["scrape_configs"]}
    used = {job for query in dashboard_queries() + alert_queries() for job in re.findall(r'job="([^"]+)"', query)}
    assert used and used <= jobs == {"awtrix-gateway", "awtrix-broker"}
