"""The shipped dashboard and alert rules (config/grafana, config/prometheus), and the relay's metric names they use."""

import json
import re
from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[2] / "config"
DASHBOARD = json.loads((CONFIG / "grafana" / "awtrix-cloud.json").read_text())
ALERTS = yaml.safe_load((CONFIG / "prometheus" / "alerts.yml").read_text())
SCRAPE_CONFIG = yaml.safe_load((CONFIG / "prometheus" / "prometheus.yml").read_text())
OURS = re.compile(r"\b((?:awtrix|process)_[a-z0-9_]+)\b")
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


def dashboard_queries() -> list[str]:
    """Every PromQL query of every panel."""
    return [target["expr"] for panel in DASHBOARD["panels"] for target in panel.get("targets", [])]


def alert_queries() -> list[str]:
    """Every alert rule's expression."""
    return [rule["expr"] for group in ALERTS["groups"] for rule in group["rules"]]


def named(queries: list[str]) -> set[str]:
    """The relay's metric names the queries use."""
    return {name for query in queries for name in OURS.findall(query)}
