"""Broker settings come from the environment, with every problem reported at once."""

import pytest

from broker.settings import BrokerSettings, SettingsError


def test_defaults_need_only_the_secret() -> None:
    settings = BrokerSettings.from_env({"GATEWAY_SECRET": "x" * 32})
    assert (settings.mqtt_port, settings.gateway_username, settings.max_packet_bytes) == (1883, "gateway", 8192)


@pytest.mark.parametrize("secret", [None, "", "x" * 15])
def test_missing_or_short_secret_is_refused_with_its_name(secret: str | None) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_SECRET"):
        BrokerSettings.from_env({} if secret is None else {"GATEWAY_SECRET": secret})


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(SettingsError) as caught:
        BrokerSettings.from_env({"MQTT_PORT": "http", "MQTT_MAX_CONNECTIONS": "0", "GATEWAY_USERNAME": "abcdefghijklmnop"})
    message = str(caught.value)
    for name in ("GATEWAY_SECRET", "MQTT_PORT", "MQTT_MAX_CONNECTIONS", "GATEWAY_USERNAME"):
        assert name in message


def test_values_are_parsed() -> None:
    settings = BrokerSettings.from_env(
        {"GATEWAY_SECRET": "s" * 16, "MQTT_PORT": "0", "HOST": "127.0.0.1", "MQTT_CONNECT_TIMEOUT_S": "2.5"}
    )
    assert (settings.mqtt_port, settings.host, settings.connect_timeout_s) == (0, "127.0.0.1", 2.5)


def test_metrics_and_log_format() -> None:
    base = {"GATEWAY_SECRET": "s" * 16, "HOST": "0.0.0.0"}
    off = BrokerSettings.from_env(base)
    assert (off.metrics_port, off.log_format) == (None, "TEXT")
    on = BrokerSettings.from_env({**base, "METRICS_PORT": "9102", "LOG_FORMAT": "json"})
    assert (on.metrics_port, on.metrics_host, on.log_format) == (9102, "0.0.0.0", "JSON")
    assert BrokerSettings.from_env({**base, "METRICS_PORT": "0", "METRICS_HOST": "127.0.0.1"}).metrics_host == "127.0.0.1"
    with pytest.raises(SettingsError) as caught:
        BrokerSettings.from_env({**base, "METRICS_PORT": "x", "LOG_FORMAT": "xml"})
    assert "METRICS_PORT" in str(caught.value) and "LOG_FORMAT" in str(caught.value)
