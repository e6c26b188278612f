"""Read the broker's settings from the environment, once, at start."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from common.tokens import is_valid_token

Num = TypeVar("Num", int, float)
MIN_SECRET_CHARS = 16  # the gateway asks the same


class SettingsError(Exception):
    """One or more environment variables are missing or invalid."""


@dataclass(frozen=True)
class BrokerSettings:
    """Everything the broker process needs to know."""

    host: str = "0.0.0.0"
    mqtt_port: int = 1883
    gateway_username: str = "gateway"
    gateway_secret: str = ""
    max_connections: int = 20000
    max_packet_bytes: int = 8192
    connect_timeout_s: float = 10.0
    failed_logins_per_minute: int = 10
    tls_port: int | None = None
    tls_cert_file: str = ""
    tls_key_file: str = ""
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "BrokerSettings":
        """Parse settings from a mapping, reporting every problem at once."""
        problems: list[str] = []
        values = {
            "host": environ.get("HOST", cls.host),
            "mqtt_port": _integer(environ, "MQTT_PORT", cls.mqtt_port, 0, 65535, problems),
            "gateway_username": environ.get("GATEWAY_USERNAME", cls.gateway_username),
            "gateway_secret": environ.get("GATEWAY_SECRET", ""),
            "max_connections": _integer(environ, "MQTT_MAX_CONNECTIONS", cls.max_connections, 1, 10**6, problems),
            "max_packet_bytes": _integer(environ, "MQTT_MAX_PACKET_BYTES", cls.max_packet_bytes, 64, 268435455, problems),
            "connect_timeout_s": _number(environ, "MQTT_CONNECT_TIMEOUT_S", cls.connect_timeout_s, problems),
            "log_level": environ.get("LOG_LEVEL", cls.log_level).upper(),
            "failed_logins_per_minute": _integer(
                environ, "MQTT_FAILED_LOGINS_PER_MINUTE", cls.failed_logins_per_minute, 1, 10**6, problems
            ),
            **_tls(environ, problems),
        }
        if len(values["gateway_secret"]) < MIN_SECRET_CHARS:
            problems.append(
                f"GATEWAY_SECRET is not set or shorter than {MIN_SECRET_CHARS} characters: set it to a long random "
                "string shared with the gateway (`make run` generates one for a local run)"
            )
        if is_valid_token(values["gateway_username"]) or not values["gateway_username"]:
            problems.append("GATEWAY_USERNAME must be non-empty and must not look like a device token")
        if values["log_level"] not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    return _parsed(environ, name, default, int, low, high, problems)


def _number(environ: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    return _parsed(environ, name, default, float, 1e-3, 1e6, problems)


def _parsed(
    environ: Mapping[str, str], name: str, default: Num, kind: type[Num], low: float, high: float, problems: list[str]
) -> Num:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        problems.append(f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low:g} and {high:g}, got {value}")
    return value


def _tls(environ: Mapping[str, str], problems: list[str]) -> dict[str, object]:
    raw_port = environ.get("MQTT_TLS_PORT", "")
    if not raw_port:
        return {}
    port = _integer(environ, "MQTT_TLS_PORT", 8883, 0, 65535, problems)
    files = {"tls_cert_file": environ.get("MQTT_TLS_CERT_FILE", ""), "tls_key_file": environ.get("MQTT_TLS_KEY_FILE", "")}
    for name, path in (("MQTT_TLS_CERT_FILE", files["tls_cert_file"]), ("MQTT_TLS_KEY_FILE", files["tls_key_file"])):
        if not path:
            problems.append(f"{name} must be set when MQTT_TLS_PORT is set")
        elif not Path(path).is_file():
            problems.append(f"{name} does not name a readable file: {path}")
    return {"tls_port": port, **files}
