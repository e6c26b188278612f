"""GatewaySettings.from_env: defaults, every variable, and every problem reported at once by name."""

import pytest

from common.env import EnvReader
from gateway.settings import BrokerSettings, GatewaySettings, ServingSettings, SettingsError, metrics_listener

SECRET = "a-long-enough-gateway-secret"
BASE = {"GATEWAY_SECRET": SECRET}


def problems_of(environ: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as caught:
        GatewaySettings.from_env(environ)
    return caught.value.problems


def test_settings_defaults_need_only_the_secret() -> None:
    settings = GatewaySettings.from_env(BASE)
    assert settings == GatewaySettings(
        broker=BrokerSettings(host="127.0.0.1", port=1883, username="gateway", password=SECRET, tls=False, external=False),
        publish_timeout_s=1.5,
        hide_presence=False,
        extra_modes=frozenset(),
        log_level="INFO",
        max_body_bytes=8192,
        serving=ServingSettings(http_header_timeout_s=10.0, max_connections_per_address=100),
    )


def test_serving_settings_alone_are_read_the_same_way() -> None:
    assert ServingSettings.from_env({"MAX_CONNECTIONS_PER_ADDRESS": "7"}) == ServingSettings(max_connections_per_address=7)
    with pytest.raises(SettingsError, match="HTTP_HEADER_TIMEOUT_S"):
        ServingSettings.from_env({"HTTP_HEADER_TIMEOUT_S": "never"})


@pytest.mark.parametrize(
    ("name", "raw", "read", "expected"),
    [
        ("GATEWAY_USERNAME", "relay", lambda s: s.broker.username, "relay"),
        ("MQTT_HOST", "broker.internal", lambda s: s.broker.host, "broker.internal"),
        ("MQTT_PORT", "11883", lambda s: s.broker.port, 11883),
        ("PUBLISH_TIMEOUT_S", "0.5", lambda s: s.publish_timeout_s, 0.5),
        ("HIDE_PRESENCE", "true", lambda s: s.hide_presence, True),
        ("HIDE_PRESENCE", "ON", lambda s: s.hide_presence, True),
        ("HIDE_PRESENCE", "0", lambda s: s.hide_presence, False),
        ("EXTRA_MODES", "reboot, sleep,,", lambda s: s.extra_modes, frozenset({"reboot", "sleep"})),
        ("EXTRA_MODES", "apps,doupdate", lambda s: s.extra_modes, frozenset({"apps", "doupdate"})),
        ("LOG_LEVEL", "debug", lambda s: s.log_level, "DEBUG"),
        ("MAX_BODY_BYTES", "4096", lambda s: s.max_body_bytes, 4096),
        ("HTTP_HEADER_TIMEOUT_S", "2.5", lambda s: s.serving.http_header_timeout_s, 2.5),
        ("MAX_CONNECTIONS_PER_ADDRESS", "0", lambda s: s.serving.max_connections_per_address, 0),
        ("MAX_CONNECTIONS_PER_ADDRESS", "20", lambda s: s.serving.max_connections_per_address, 20),
        ("PUBLIC_MQTT_HOST", "relay.example.org", lambda s: s.public_mqtt_host, "relay.example.org"),
        ("PUBLIC_MQTT_HOST", "203.0.113.7", lambda s: s.public_mqtt_host, "203.0.113.7"),
        ("PUBLIC_MQTT_HOST", "[2001:db8::7]", lambda s: s.public_mqtt_host, "2001:db8::7"),
        ("PUBLIC_MQTT_PORT", "11883", lambda s: s.public_mqtt_port, 11883),
        ("ALLOW_GET", "false", lambda s: s.allow_get, False),
        ("MAX_TOKENS_PER_REQUEST", "1", lambda s: s.max_tokens_per_request, 1),
        ("MAX_TEMPLATE_INPUT_BYTES", "262144", lambda s: s.max_template_input_bytes, 262144),
        ("LOG_FORMAT", "json", lambda s: s.log_format, "JSON"),
        ("LOG_FORMAT", "Text", lambda s: s.log_format, "TEXT"),
        ("GATEWAY_METRICS_PORT", "9101", lambda s: s.metrics_port, 9101),
        ("GATEWAY_METRICS_PORT", "0", lambda s: s.metrics_port, 0),
    ],
)
def test_settings_variable_is_parsed(name: str, raw: str, read: object, expected: object) -> None:
    settings = GatewaySettings.from_env({**BASE, name: raw})
    assert read(settings) == expected  # type: ignore[operator]


@pytest.mark.parametrize(
    "name",
    [
        "GATEWAY_USERNAME",
        "MQTT_HOST",
        "MQTT_PORT",
        "PUBLISH_TIMEOUT_S",
        "HIDE_PRESENCE",
        "EXTRA_MODES",
        "LOG_LEVEL",
        "MQTT_URL",
        "PUBLIC_MQTT_HOST",
        "PUBLIC_MQTT_PORT",
        "LOG_FORMAT",
        "GATEWAY_METRICS_PORT",
    ],
)
def test_settings_empty_variable_counts_as_unset(name: str) -> None:
    assert GatewaySettings.from_env({**BASE, name: ""}) == GatewaySettings.from_env(BASE)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("MQTT_PORT", "0"),
        ("MQTT_PORT", "65536"),
        ("MQTT_PORT", "mqtt"),
        ("PUBLISH_TIMEOUT_S", "0"),
        ("PUBLISH_TIMEOUT_S", "nan"),
        ("PUBLISH_TIMEOUT_S", "soon"),
        ("HIDE_PRESENCE", "maybe"),
        ("EXTRA_MODES", "reboot,r2d3"),
        ("EXTRA_MODES", "notify"),
        ("LOG_LEVEL", "LOUD"),
        ("MAX_BODY_BYTES", "10"),
        ("MAX_BODY_BYTES", "8k"),
        ("HTTP_HEADER_TIMEOUT_S", "0"),
        ("HTTP_HEADER_TIMEOUT_S", "forever"),
        ("MAX_CONNECTIONS_PER_ADDRESS", "-1"),
        ("ALLOW_GET", "sometimes"),
        ("MAX_TOKENS_PER_REQUEST", "0"),
        ("MAX_TOKENS_PER_REQUEST", "51"),
        ("MAX_TEMPLATE_INPUT_BYTES", "2000000"),
        ("GATEWAY_USERNAME", "abcdefghijkl0123"),
        ("GATEWAY_SECRET", "short"),
        ("PUBLIC_MQTT_HOST", "mqtt://relay.example.org"),
        ("PUBLIC_MQTT_HOST", "relay.example.org:1883"),
        ("PUBLIC_MQTT_HOST", "two words"),
        ("PUBLIC_MQTT_HOST", "-relay.example.org"),
        ("PUBLIC_MQTT_PORT", "0"),
        ("PUBLIC_MQTT_PORT", "1883/tcp"),
        ("LOG_FORMAT", "xml"),
        ("GATEWAY_METRICS_PORT", "65536"),
        ("GATEWAY_METRICS_PORT", "metrics"),
    ],
)
def test_settings_invalid_variable_is_reported_by_name(name: str, raw: str) -> None:
    problems = problems_of({**BASE, name: raw})
    assert len(problems) == 1
    assert problems[0].startswith(f"{name}: ")


def test_settings_report_every_problem_at_once() -> None:
    problems = problems_of({"MQTT_PORT": "x", "HIDE_PRESENCE": "perhaps", "LOG_LEVEL": "LOUD", "EXTRA_MODES": "r2d3"})
    assert [problem.split(":")[0] for problem in problems] == [
        "GATEWAY_SECRET",
        "MQTT_PORT",
        "HIDE_PRESENCE",
        "EXTRA_MODES",
        "LOG_LEVEL",
    ]


def test_settings_missing_secret_says_how_to_provide_one() -> None:
    (problem,) = problems_of({})
    assert problem.startswith("GATEWAY_SECRET: is required")
    assert "make run" in problem


def test_settings_error_message_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(SettingsError) as caught:
        GatewaySettings.from_env({"MQTT_PORT": "x"})
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid gateway settings:"
    assert [line.strip().split(":")[0] for line in lines[1:]] == ["GATEWAY_SECRET", "MQTT_PORT"]


def test_settings_secret_is_kept_byte_for_byte() -> None:
    secret = f" {SECRET}\t"
    assert GatewaySettings.from_env({"GATEWAY_SECRET": secret}).broker.password == secret


def test_settings_repr_never_shows_the_secret() -> None:
    assert SECRET not in repr(GatewaySettings.from_env(BASE))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.example", BrokerSettings("broker.example", 1883, None, None, tls=False, external=True)),
        ("mqtts://broker.example", BrokerSettings("broker.example", 8883, None, None, tls=True, external=True)),
        ("mqtt://relay:s3cr%40t@10.0.0.2:2883", BrokerSettings("10.0.0.2", 2883, "relay", "s3cr@t", external=True)),
        ("mqtts://relay@broker.example:8884/", BrokerSettings("broker.example", 8884, "relay", None, tls=True, external=True)),
    ],
)
def test_settings_mqtt_url_selects_an_external_broker(url: str, expected: BrokerSettings) -> None:
    assert GatewaySettings.from_env({"MQTT_URL": url}).broker == expected


def test_settings_public_mqtt_port_follows_the_embedded_brokers_port_unless_set() -> None:
    assert GatewaySettings.from_env({**BASE, "MQTT_PORT": "11883"}).public_mqtt_port == 11883
    assert GatewaySettings.from_env({**BASE, "MQTT_PORT": "11883", "PUBLIC_MQTT_PORT": "1883"}).public_mqtt_port == 1883


def test_settings_public_mqtt_port_with_an_external_broker_is_1883_not_the_gateways_port() -> None:
    assert GatewaySettings.from_env({"MQTT_URL": "mqtt://gateway:pw@127.0.0.1:1884"}).public_mqtt_port == 1883


def test_settings_public_mqtt_host_defaults_to_none_so_the_page_uses_its_own_host_name() -> None:
    assert GatewaySettings.from_env(BASE).public_mqtt_host is None


def test_settings_mqtt_url_needs_no_gateway_secret_and_overrides_host_and_port() -> None:
    settings = GatewaySettings.from_env({"MQTT_URL": "mqtt://broker.example:1999", "MQTT_HOST": "ignored", "MQTT_PORT": "1"})
    assert (settings.broker.host, settings.broker.port) == ("broker.example", 1999)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2secret@broker.example",
        "mqtt://user:hunter2secret@broker.example:99999",
        "mqtt://user:hunter2secret@broker.example:0",
        "mqtt://:hunter2secret@broker.example",
        "mqtt://user:hunter2secret@",
        "mqtt://user:hunter2secret@broker.example/topic",
        "mqtt://user:hunter2secret@broker.example?x=1",
    ],
)
def test_settings_bad_mqtt_url_is_reported_without_its_password(url: str) -> None:
    problems = problems_of({"MQTT_URL": url})
    assert problems
    assert all(problem.startswith("MQTT_URL: ") for problem in problems)
    assert "hunter2secret" not in "\n".join(problems)


def test_metrics_are_off_unless_a_port_is_set_and_listen_on_metrics_host_or_host() -> None:
    assert GatewaySettings.from_env(BASE).metrics_port is None
    assert metrics_listener(EnvReader({})) is None
    assert metrics_listener(EnvReader({"GATEWAY_METRICS_PORT": "9101", "HOST": "127.0.0.1"})) == ("127.0.0.1", 9101)
    where = {"GATEWAY_METRICS_PORT": "9101", "HOST": "0.0.0.0", "METRICS_HOST": "10.0.0.5"}
    assert metrics_listener(EnvReader(where)) == ("10.0.0.5", 9101)
