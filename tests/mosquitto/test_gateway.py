"""The gateway listener: who may log in, what the gateway may do, and what its MQTT 5 PUBACKs tell it."""

import pytest

from common.tokens import generate_token
from tests.support.clients import MQTT5, MQTT311, WHATEVER, Clients

NOT_AUTHORIZED = 135  # CONNACK/PUBACK 0x87; paho reports an MQTT 3.1.1 refusal (rc 5) as the same code
NO_MATCHING_SUBSCRIBERS = 16


@pytest.mark.parametrize("protocol", [MQTT311, MQTT5], ids=["mqtt311", "mqtt5"])
@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("gateway", "wrong-password"),
        ("gateway", None),
        (None, None),
        ("Device-Token-0123456789", "anything"),
    ],
)
def test_gateway_listener_refuses_anyone_without_the_gateway_password(
    mqtt: Clients, protocol: int, username: str | None, password: str | None
) -> None:
    client = mqtt.new(mqtt.broker.gateway_port, username, password, protocol=protocol)

    connack = client.connect()

    assert connack is not None and connack.reason_code == NOT_AUTHORIZED
    client.wait_disconnected()


@pytest.mark.parametrize("protocol", [MQTT311, MQTT5], ids=["mqtt311", "mqtt5"])
def test_gateway_listener_accepts_the_gateway_password(mqtt: Clients, protocol: int) -> None:
    broker = mqtt.broker
    client = mqtt.new(broker.gateway_port, broker.gateway_username, broker.gateway_password, protocol=protocol)

    connack = client.connect()

    assert connack is not None and connack.reason_code == 0


@pytest.mark.parametrize(
    ("login", "subscription", "reason_code"),
    [
        (None, None, NO_MATCHING_SUBSCRIBERS),
        ("{token}", "awtrix/{token}/notify", 0),
        ("{token}", "awtrix/{token}/#", 0),
        ("{other}", "awtrix/{other}/#", NO_MATCHING_SUBSCRIBERS),
    ],
)
def test_gateway_puback_says_whether_a_device_subscribes(
    mqtt: Clients, login: str | None, subscription: str | None, reason_code: int
) -> None:
    names = {"token": generate_token(), "other": generate_token()}
    if login is not None and subscription is not None:
        mqtt.device(login.format(**names)).subscribe(subscription.format(**names))
    gateway = mqtt.gateway()

    assert gateway.publish(f"awtrix/{names['token']}/notify", b"{}") == reason_code


def test_denied_wildcard_subscription_of_another_device_masks_no_matching_subscribers(mqtt: Clients) -> None:
    # Known limit of Mosquitto 2.0: reason code 16 means "no subscription matched", checked before ACLs.
    # Any device holding "#" (granted, though it receives nothing) turns every 16 into 0.
    token = generate_token()
    gateway = mqtt.gateway()
    assert gateway.publish(f"awtrix/{token}/notify", b"{}") == NO_MATCHING_SUBSCRIBERS

    spy = mqtt.device(generate_token())
    spy.subscribe("#")

    assert gateway.publish(f"awtrix/{token}/notify", b"{}") == 0
    spy.sync()
    assert spy.messages.empty()


@pytest.mark.parametrize("topic", ["homeassistant/sensor/x/config", "$SYS/broker/x", "awtrixx/token", "other"])
def test_gateway_may_publish_only_under_awtrix(mqtt: Clients, topic: str) -> None:
    gateway = mqtt.gateway()

    assert gateway.publish(topic, b"{}") == NOT_AUTHORIZED


def test_gateway_reads_ng_traffic_and_status_but_no_awtrix3_command(mqtt: Clients) -> None:
    # It watches NG commands and answers (for verdicts) and what devices publish (to clear what they retain).
    token = generate_token()
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/stats")
    gateway.subscribe("#")

    mqtt.gateway().publish(f"awtrix/{token}/notify", b"{}")
    mqtt.gateway().publish(f"awtrix/{token}/custom/solar", b"{}")
    mqtt.gateway().publish(f"awtrix/{token}/cmd/notify", b"{}")
    clock.send(f"awtrix/{token}/stats", b'{"bat":50}')

    assert clock.next_message().payload == b'{"bat":50}'
    seen = {gateway.next_message().topic, gateway.next_message().topic}
    assert seen == {f"awtrix/{token}/cmd/notify", f"awtrix/{token}/stats"}
    gateway.sync()
    assert gateway.messages.empty()


@pytest.mark.parametrize(
    ("listener", "expected"),
    [
        ("device_port", {"MaximumPacketSize": 8192, "RetainAvailable": None, "MaximumQoS": 0}),  # None: available
        ("gateway_port", {"MaximumPacketSize": 8192, "RetainAvailable": None}),
    ],
)
def test_mqtt5_connack_announces_the_limits(mqtt: Clients, listener: str, expected: dict[str, int]) -> None:
    broker = mqtt.broker
    if listener == "gateway_port":
        client = mqtt.new(broker.gateway_port, broker.gateway_username, broker.gateway_password, protocol=MQTT5)
    else:
        client = mqtt.new(broker.device_port, generate_token(), WHATEVER, protocol=MQTT5)

    connack = client.connect()

    assert connack is not None and connack.reason_code == 0
    assert {key: connack.properties.get(key) for key in expected} == expected
    if listener == "gateway_port":
        assert "MaximumQoS" not in connack.properties
