"""Read the broker's settings from the environment, once, at start."""

from collections.abc import Mapping
from dataclasses import dataclass

from common.tokens import is_valid_token


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
        }
        if not values["gateway_secret"]:
            problems.append(
                "GATEWAY_SECRET is not set: set it to a long random string shared with the gateway "
                "(`make run` generates one for a local run)"
            )
        if is_valid_token(values["gateway_username"]) or not values["gateway_username"]:
            problems.append("GATEWAY_USERNAME must be non-empty and must not look like a device token")
        if values["log_level"] not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")
        if problems:
            raise SettingsError("; ".join(problems))
        return cls(**values)


def _integer(environ: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer, got {raw!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number(environ: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number, got {raw!r}")
        return default
    if value <= 0:
        problems.append(f"{name} must be positive, got {value}")
    return value
