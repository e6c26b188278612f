"""Read the broker's settings from the environment, once, at start."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from common.env import EnvReader
from common.firmware.awtrix3 import MAX_PACKET_BYTES
from common.jsonlog import LOG_FORMATS
from common.tokens import is_valid_token

MIN_SECRET_CHARS = 16  # the gateway asks the same
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    max_packet_bytes: int = MAX_PACKET_BYTES  # what AWTRIX 3 reads; the broker refuses larger packets from clients
    connect_timeout_s: float = 10.0
    failed_logins_per_minute: int = 10
    tls_port: int | None = None
    tls_cert_file: str = ""
    tls_key_file: str = ""
    log_level: str = "INFO"
    log_format: str = "TEXT"  # or JSON: one object per line (common/jsonlog.py)
    metrics_port: int | None = None  # METRICS_PORT: Prometheus metrics on METRICS_HOST (default HOST); None: off
    metrics_host: str = "0.0.0.0"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "BrokerSettings":
        """Parse settings from a mapping, reporting every problem at once."""
        read = EnvReader(environ)
        settings = cls(
            host=read.text("HOST", cls.host) or cls.host,
            mqtt_port=read.integer("MQTT_PORT", cls.mqtt_port, 0, 65535),
            gateway_username=_gateway_username(read),
            gateway_secret=_gateway_secret(read),
            max_connections=read.integer("MQTT_MAX_CONNECTIONS", cls.max_connections, 1, 10**6),
            max_packet_bytes=read.integer("MQTT_MAX_PACKET_BYTES", cls.max_packet_bytes, 64, 268_435_455),
            connect_timeout_s=read.number("MQTT_CONNECT_TIMEOUT_S", cls.connect_timeout_s, 0.001, 3600),
            failed_logins_per_minute=read.integer("MQTT_FAILED_LOGINS_PER_MINUTE", cls.failed_logins_per_minute, 1, 10**6),
            log_level=read.choice("LOG_LEVEL", cls.log_level, LOG_LEVELS),
            log_format=read.choice("LOG_FORMAT", cls.log_format, LOG_FORMATS),
            **_metrics(read),
            **_tls(read),
        )
        if read.problems:
            raise SettingsError("; ".join(read.problems))
        return settings


def _gateway_username(read: EnvReader) -> str:
    username = read.text("GATEWAY_USERNAME", BrokerSettings.gateway_username) or BrokerSettings.gateway_username
    if is_valid_token(username):
        read.fail("GATEWAY_USERNAME", "must not look like a device token (12-64 of A-Z a-z 0-9 _ -)")
    return username


def _gateway_secret(read: EnvReader) -> str:
    secret = read.text("GATEWAY_SECRET") or ""
    if len(secret) < MIN_SECRET_CHARS:
        read.fail(
            "GATEWAY_SECRET",
            f"is not set or shorter than {MIN_SECRET_CHARS} characters: set it to a long random string shared with "
            "the gateway (`make run` generates one for a local run)",
        )
    return secret


def _metrics(read: EnvReader) -> dict[str, object]:
    if read.text("METRICS_PORT") is None:
        return {}
    host = read.text("METRICS_HOST") or read.text("HOST") or BrokerSettings.metrics_host
    return {"metrics_port": read.integer("METRICS_PORT", 0, 0, 65535), "metrics_host": host}


def _tls(read: EnvReader) -> dict[str, object]:
    if read.text("MQTT_TLS_PORT") is None:
        return {}
    port = read.integer("MQTT_TLS_PORT", 8883, 0, 65535)
    files = {"tls_cert_file": read.text("MQTT_TLS_CERT_FILE") or "", "tls_key_file": read.text("MQTT_TLS_KEY_FILE") or ""}
    for name, path in (("MQTT_TLS_CERT_FILE", files["tls_cert_file"]), ("MQTT_TLS_KEY_FILE", files["tls_key_file"])):
        if not path:
            read.fail(name, "must be set when MQTT_TLS_PORT is set")
        elif not Path(path).is_file():
            read.fail(name, f"does not name a readable file: {path}")
    return {"tls_port": port, **files}
