"""The README stays true: its error table and configuration table match the code and config/env.example."""

import re
from pathlib import Path

from gateway.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def test_readme_lists_exactly_the_error_codes_of_the_catalog() -> None:
    listed = set(re.findall(r"^\| [\d\w]+ \| `([a-z_]+)` \|", _section("Error codes"), re.MULTILINE))
    assert listed == set(ERROR_CODES)


def test_readme_configuration_table_lists_every_variable_of_env_example() -> None:
    in_example = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / "config" / "env.example").read_text(), re.MULTILINE))
    rows = re.findall(r"^\| (`[A-Z].*?) \|", _section("Configuration"), re.MULTILINE)  # first column only
    in_readme = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    assert in_example <= in_readme
    assert in_readme - in_example == set()


LOG_LEVEL_NAMES = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
LOG_FORMAT_NAMES = {"TEXT", "JSON"}
WSGI_ENVIRON_KEYS = {"REQUEST_METHOD", "REMOTE_ADDR"}  # read per request by the access log, not settings
SETTINGS_SOURCES = [
    "gateway/settings.py",
    "gateway/serving/gunicorn_logging.py",
    "broker/settings.py",
    "broker/__main__.py",
    "config/gunicorn.conf.py",
]


def test_every_variable_the_code_reads_is_in_env_example() -> None:
    example = (ROOT / "config" / "env.example").read_text()
    read = set()
    for source in SETTINGS_SOURCES:
        read |= set(re.findall(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)["']""", (ROOT / source).read_text()))
    read -= LOG_LEVEL_NAMES | LOG_FORMAT_NAMES | WSGI_ENVIRON_KEYS
    assert {"GATEWAY_SECRET", "PORT", "MQTT_PORT", "MQTT_URL"} <= read
    assert {name for name in read if f"\n{name}=" not in example} == set()
