"""The one prometheus-client internal the gateway uses: a Histogram's bucket and sum values (gateway/metrics/tally.py).

prometheus-client has no "observe n times"; the tally adds a second's observations to these values at once. An
upgrade that changes them fails here, not silently in production.
"""

from importlib.metadata import version
from pathlib import Path

import prometheus_client
from prometheus_client import CollectorRegistry, Histogram

from tests.support.scrape import parse

ROOT = Path(__file__).resolve().parents[3]


def test_prometheus_client_is_pinned_to_the_version_the_contract_was_checked_against() -> None:
    assert "prometheus-client==0.26.0" in (ROOT / "requirements.txt").read_text().splitlines()
    assert version("prometheus-client") == "0.26.0"


def test_adding_to_a_histograms_bucket_and_sum_values_equals_observing() -> None:
    added, observed = CollectorRegistry(), CollectorRegistry()
    by_values = Histogram("h", "h", buckets=(0.1, 1.0), registry=added)
    by_observe = Histogram("h", "h", buckets=(0.1, 1.0), registry=observed)
    assert len(by_values._buckets) == 3  # 0.1, 1.0 and +Inf: one value per bucket, not cumulative
    by_values._buckets[0].inc(2)
    by_values._buckets[2].inc(1)
    by_values._sum.inc(0.05 + 0.07 + 5.0)
    for value in (0.05, 0.07, 5.0):
        by_observe.observe(value)
    without_created = lambda registry: {  # noqa: E731
        key: value for key, value in parse(prometheus_client.generate_latest(registry).decode()).samples.items()
        if not key[0].endswith("_created")
    }  # fmt: skip
    assert without_created(added) == without_created(observed)
    assert without_created(added)[("h_bucket", (("le", "0.1"),))] == 2
