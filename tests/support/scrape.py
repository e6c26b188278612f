"""Scrape a real /metrics listener and read it with Prometheus's own text-format parser (prometheus-client)."""

import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

WAIT_S = 10.0


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape: (sample name, sorted labels) -> value; and the text as served."""

    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]
    families: frozenset[str]
    text: str

    def value(self, name: str, **labels: str) -> float:
        """Return one sample's value (0 when the series does not exist yet: a counter nobody has counted)."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """Return the sum of the samples of name whose labels include labels."""
        wanted = set(labels.items())
        return sum(value for (sample, have), value in self.samples.items() if sample == name and wanted <= set(have))

    @property
    def series(self) -> int:
        """Return how many series the scrape holds."""
        return len(self.samples)


def scrape(port: int, host: str = "127.0.0.1") -> Scrape:
    """GET /metrics and parse it; a scrape the parser cannot read fails the test."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as answer:
        assert answer.status == 200
        return parse(answer.read().decode())


def parse(text: str) -> Scrape:
    """Read a text exposition with prometheus-client's parser; a series twice fails the test."""
    samples, families = {}, set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            assert key not in samples, f"series {key} appears twice"
            samples[key] = sample.value
    return Scrape(samples, frozenset(families), text)


def scrape_until(port: int, done: Callable[[Scrape], bool], timeout: float = WAIT_S) -> Scrape:
    """Scrape until done(scrape) holds, failing after timeout; return that scrape.

    The gateway's workers add their counts to what is served once a second: a scrape lags by up to that.
    """
    deadline = time.monotonic() + timeout
    while True:
        current = scrape(port)
        if done(current):
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"the scrape never showed the expected values within {timeout} s:\n{current.text}")
        time.sleep(0.05)  # pacing between scrapes, not synchronisation: each scrape reads the counts afresh
