"""Read the gateway's settings from the environment once, reporting every problem at once."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit

from common.env import EnvReader
from common.jsonlog import LOG_FORMATS
from common.tokens import is_valid_token
from gateway.rules.modes import DANGEROUS_MODES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET_CHARS = 16
_URL_DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
# One or more "<n> per [<m>] second|minute|hour|day" (or "<n>/<m>second"), joined by ";".
_RATE = re.compile(r"\s*([1-9]\d{0,5})\s*(?:/|per)\s*([1-9]\d{0,5})?\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)
RATE_LIMIT_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix")
MAX_TRUSTED_PROXIES = 10
MAX_CONNECTIONS_PER_ADDRESS = 100_000
# A host name or an IP address, as a clock's "Broker" field takes it (no scheme, no port).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]{2,45}")
MAX_TOKENS_PER_REQUEST = 50


class SettingsError(Exception):
    """One or more environment variables are missing or invalid; each problem names its variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid gateway settings:\n" + "\n".join(f"  {problem}" for problem in problems))


@dataclass(frozen=True)
class BrokerSettings:
    """Where the gateway publishes and how it logs in."""

    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = "gateway"
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    # An external broker speaks MQTT 5 and signals delivery with PUBACK reason codes;
    # the embedded one speaks MQTT 3.1.1 and sends a receipt before each PUBACK.
    external: bool = False


@dataclass(frozen=True)
class RateLimitSettings:
    """How many webhooks one token and one client address may send, and where the counts live.

    Both limits are moving windows: "10/10seconds" lets a token send a burst of 10, then
    never more than 10 in any 10 seconds, which averages 1 per second.
    """

    enabled: bool = True
    per_token: str = "10/10seconds"  # noqa: S105 (a rate, not a password)
    # Generous: IFTTT, Zapier and Home Assistant relay many users' webhooks from few addresses.
    per_address: str = "600/minute"
    # memory:// counts in each worker process; redis://... shares counts between workers and gateways.
    storage_url: str = field(default="memory://", repr=False)


@dataclass(frozen=True)
class ServingSettings:
    """Limits of the gateway's own HTTP worker (gateway/serving/worker.py) on each connection and address."""

    # From a request's first byte to the end of its head; the whole request still has GUNICORN_TIMEOUT_S.
    http_header_timeout_s: float = 10.0
    # Connections one client address (IPv6: one /64) may hold open in one worker; 0: no cap. Not applied with
    # TRUSTED_PROXY_COUNT > 0, where every connection comes from a proxy and the proxy caps each client.
    max_connections_per_address: int = 100

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "ServingSettings":
        """Parse these settings alone (for an app that is not the gateway's, e.g. the bench's ceiling)."""
        read = EnvReader(environ)
        settings = _serving(read)
        if read.problems:
            raise SettingsError(read.problems)
        return settings


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway process is configured with."""

    broker: BrokerSettings = BrokerSettings()
    publish_timeout_s: float = 1.5
    # How long a webhook waits for the clock's own answer (AWTRIX NG's /result); 0 answers without waiting.
    result_timeout_s: float = 1.0
    hide_presence: bool = False
    extra_modes: frozenset[str] = frozenset()
    log_level: str = "INFO"
    max_body_bytes: int = 8192
    rate_limits: RateLimitSettings = RateLimitSettings()
    # How many reverse proxies in front of the gateway append to X-Forwarded-For; 0 ignores the header.
    trusted_proxy_count: int = 0
    serving: ServingSettings = ServingSettings()
    # What the web page tells people to type into their clock: the broker's public host name (None: the
    # host name the page itself was opened with) and its device port.
    public_mqtt_host: str | None = None
    public_mqtt_port: int = 1883
    # GET /cloud?...&text=... sends too, for senders that can only open a link.
    allow_get: bool = True
    # How many clocks one webhook may name (each is published to and rate-limited on its own).
    max_tokens_per_request: int = 10
    # The largest body a template reads (it is not forwarded; what the template makes must fit max_body_bytes).
    max_template_input_bytes: int = 65536
    log_format: str = "TEXT"  # or JSON: one object per line (common/jsonlog.py)
    # GATEWAY_METRICS_PORT: where gunicorn's master serves the workers' metrics; None: off, nothing is counted.
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "GatewaySettings":
        """Parse settings from environment variables; raise SettingsError listing every bad one."""
        read = EnvReader(environ)
        url = read.text("MQTT_URL")
        broker = _broker_from_url(read, url) if url else _embedded_broker(read)
        settings = cls(
            broker=broker,
            publish_timeout_s=read.number("PUBLISH_TIMEOUT_S", cls.publish_timeout_s, 0.1, 10.0),
            result_timeout_s=read.number("RESULT_TIMEOUT_S", cls.result_timeout_s, 0.0, 10.0),
            hide_presence=read.boolean("HIDE_PRESENCE", cls.hide_presence),
            extra_modes=_extra_modes(read),
            log_level=read.choice("LOG_LEVEL", cls.log_level, LOG_LEVELS),
            max_body_bytes=read.integer("MAX_BODY_BYTES", cls.max_body_bytes, 64, 1_048_576),
            rate_limits=_rate_limits(read),
            trusted_proxy_count=read.integer("TRUSTED_PROXY_COUNT", cls.trusted_proxy_count, 0, MAX_TRUSTED_PROXIES),
            serving=_serving(read),
            public_mqtt_host=_public_mqtt_host(read),
            # The embedded broker's devices connect where the gateway does; an external broker's device
            # listener is not the gateway's (config/mosquitto: 1883 for devices, 1884 for the gateway).
            public_mqtt_port=read.integer("PUBLIC_MQTT_PORT", cls.public_mqtt_port if url else broker.port, 1, 65535),
            allow_get=read.boolean("ALLOW_GET", cls.allow_get),
            max_tokens_per_request=read.integer(
                "MAX_TOKENS_PER_REQUEST", cls.max_tokens_per_request, 1, MAX_TOKENS_PER_REQUEST
            ),
            max_template_input_bytes=read.integer("MAX_TEMPLATE_INPUT_BYTES", cls.max_template_input_bytes, 64, 1_048_576),
            log_format=read.choice("LOG_FORMAT", cls.log_format, LOG_FORMATS),
            metrics_port=None if (listener := metrics_listener(read)) is None else listener[1],
        )
        if read.problems:
            raise SettingsError(read.problems)
        return settings


def _serving(read: EnvReader) -> ServingSettings:
    default = ServingSettings()
    return ServingSettings(
        http_header_timeout_s=read.number("HTTP_HEADER_TIMEOUT_S", default.http_header_timeout_s, 0.5, 300.0),
        max_connections_per_address=read.integer(
            "MAX_CONNECTIONS_PER_ADDRESS", default.max_connections_per_address, 0, MAX_CONNECTIONS_PER_ADDRESS
        ),
    )


def metrics_listener(read: EnvReader) -> tuple[str, int] | None:
    """Return where gunicorn's master serves the gateway's metrics: (METRICS_HOST or HOST, GATEWAY_METRICS_PORT), or None.

    Off unless GATEWAY_METRICS_PORT is set; 0 picks a free port (tests). Also read by config/gunicorn.conf.py.
    """
    if read.text("GATEWAY_METRICS_PORT") is None:
        return None
    port = read.integer("GATEWAY_METRICS_PORT", 0, 0, 65535)
    return read.text("METRICS_HOST") or read.text("HOST") or "0.0.0.0", port


def _embedded_broker(read: EnvReader) -> BrokerSettings:
    username = read.text("GATEWAY_USERNAME", BrokerSettings.username)
    if is_valid_token(username):
        read.fail("GATEWAY_USERNAME", "must not look like a device token (12-64 of A-Z a-z 0-9 _ -)")
    # The secret is not stripped: it must match the broker's copy byte for byte.
    secret = read.environ.get("GATEWAY_SECRET", "")
    if not secret:
        read.fail(
            "GATEWAY_SECRET",
            "is required: the password the gateway uses on the embedded MQTT broker. Set it to the same "
            "random value the broker uses (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'), "
            "or start everything with 'make run', which generates one",
        )
    elif len(secret) < MIN_SECRET_CHARS:
        read.fail("GATEWAY_SECRET", f"must be at least {MIN_SECRET_CHARS} characters")
    return BrokerSettings(
        host=read.text("MQTT_HOST") or BrokerSettings.host,
        port=read.integer("MQTT_PORT", BrokerSettings.port, 1, 65535),
        username=username,
        password=secret,
    )


def _broker_from_url(read: EnvReader, url: str) -> BrokerSettings:
    # Messages never quote the URL: it may carry a password.
    parts = urlsplit(url)
    if parts.scheme not in _URL_DEFAULT_PORTS:
        read.fail("MQTT_URL", "must start with mqtt:// or mqtts://")
    port = _url_port(parts)
    if port is None:
        read.fail("MQTT_URL", "has a port that is not a number from 1 to 65535")
    if not parts.hostname:
        read.fail("MQTT_URL", "names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        read.fail("MQTT_URL", "must be only mqtt[s]://[user[:password]@]host[:port]")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        read.fail("MQTT_URL", "has a password but no user name")
    return BrokerSettings(
        host=parts.hostname or "",
        port=port or 1883,
        username=username,
        password=password,
        tls=parts.scheme == "mqtts",
        external=True,
    )


def _url_port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    if port is None:
        return _URL_DEFAULT_PORTS.get(parts.scheme, 1883)
    return port or None


def _public_mqtt_host(read: EnvReader) -> str | None:
    host = read.text("PUBLIC_MQTT_HOST")
    if host is None:
        return None
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if _HOST_NAME.fullmatch(bare) is None and not (":" in bare and _IPV6.fullmatch(bare)):
        read.fail("PUBLIC_MQTT_HOST", "must be a host name or an IP address, without a scheme or a port")
        return None
    return bare


def _extra_modes(read: EnvReader) -> frozenset[str]:
    names = {name.strip() for name in (read.text("EXTRA_MODES") or "").split(",") if name.strip()}
    unknown = names - DANGEROUS_MODES
    if unknown:
        read.fail("EXTRA_MODES", f"may only list {', '.join(sorted(DANGEROUS_MODES))}")
    return frozenset(names & DANGEROUS_MODES)


def _rate_limits(read: EnvReader) -> RateLimitSettings:
    default = RateLimitSettings()
    return RateLimitSettings(
        enabled=read.boolean("RATE_LIMIT_ENABLED", default.enabled),
        per_token=_rate(read, "RATE_LIMIT_PER_TOKEN", default.per_token),
        per_address=_rate(read, "RATE_LIMIT_PER_ADDRESS", default.per_address),
        storage_url=_storage_url(read, default.storage_url),
    )


def _rate(read: EnvReader, name: str, default: str) -> str:
    raw = read.text(name)
    if raw is None:
        return default
    if not all(_RATE.fullmatch(part) for part in raw.split(";")):
        read.fail(name, "must be like '10/10seconds' or '600/minute': at least 1 per second, minute, hour or day")
        return default
    return raw


def _storage_url(read: EnvReader, default: str) -> str:
    # Messages never quote the URL: it may carry a password.
    url = read.text("RATE_LIMIT_STORAGE_URL", default) or default
    parts = urlsplit(url)
    if parts.scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        read.fail("RATE_LIMIT_STORAGE_URL", "must be memory:// or start with redis://, rediss:// or redis+unix://")
    elif parts.scheme == "memory" and url != "memory://":
        read.fail("RATE_LIMIT_STORAGE_URL", "must be exactly memory:// for in-process counting")
    elif parts.scheme == "redis+unix" and not parts.path:
        read.fail("RATE_LIMIT_STORAGE_URL", "names no socket path")
    elif parts.scheme in ("redis", "rediss") and (not parts.hostname or not _valid_port(parts)):
        read.fail("RATE_LIMIT_STORAGE_URL", "names no host or has a port that is not a number from 1 to 65535")
    return url


def _valid_port(parts: SplitResult) -> bool:
    try:
        return parts.port != 0
    except ValueError:
        return False
