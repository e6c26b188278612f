"""Isolation the embedded broker adds to what every relay broker guarantees (see tests/isolation/)."""

import pytest

from common.tokens import generate_token
from common.topics import topic_for
from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET

NOT_AUTHORIZED = 135  # paho 2 reports an MQTT 3.1.1 CONNACK 5 as reason code 0x87


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (None, None),
        ("short", "x"),
        ("has space in it!", "x"),
        ("awtrix/abcdefghijkl", "x"),
        ("abcdefghijk#", "x"),
        ("x" * 65, "x"),
        ("gateway", "wrong-secret"),
        ("gateway", None),
        ("gateway", TEST_SECRET + "x"),
    ],
)
def test_connect_with_invalid_credentials_is_refused(mqtt: Clients, username: str | None, password: str | None) -> None:
    connack = mqtt.new(mqtt.broker.device_port, username, password).connect()
    assert connack is not None and connack.reason_code == NOT_AUTHORIZED


def test_gateway_cannot_subscribe(mqtt: Clients, token: str) -> None:
    assert mqtt.gateway().subscribe(f"awtrix/{token}/#", "#") == [0x80, 0x80]


def test_gateway_cannot_publish_outside_token_namespaces(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/#")
    for topic in ("elsewhere", "awtrix/short/notify", f"awtrix/{token}"):
        assert gateway.devices_reached(topic, b"x") == 0
    assert gateway.devices_reached(topic_for(token, "notify"), b"sentinel") == 1
    clock.expect_only(f"awtrix/{token}/notify", b"sentinel")


def test_same_client_id_from_another_token_does_not_take_over(mqtt: Clients) -> None:
    victim, attacker = generate_token(), generate_token()
    clock, gateway = mqtt.device(victim, client_id="awtrix_7ac880"), mqtt.gateway()
    clock.subscribe(f"awtrix/{victim}/notify")
    intruder = mqtt.device(attacker, client_id="awtrix_7ac880")
    intruder.subscribe(f"awtrix/{attacker}/notify")
    assert gateway.devices_reached(topic_for(victim, "notify"), b"still mine") == 1
    clock.expect_only(f"awtrix/{victim}/notify", b"still mine")
    assert not clock.disconnected.is_set()


@pytest.mark.parametrize(("username", "password"), [("gateway", "wrong"), ("gateway", None), ("not a token", "x")])
def test_failed_login_with_victims_client_id_disturbs_nothing(
    mqtt: Clients, token: str, username: str, password: str | None
) -> None:
    clock, gateway = mqtt.device(token, client_id="awtrix_0a0b0c"), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify")
    connack = mqtt.new(mqtt.broker.device_port, username, password, client_id="awtrix_0a0b0c").connect()
    assert connack is not None and connack.reason_code == NOT_AUTHORIZED
    assert gateway.devices_reached(topic_for(token, "notify"), b"intact") == 1
    clock.expect_only(f"awtrix/{token}/notify", b"intact")
    assert not clock.disconnected.is_set()


@pytest.mark.parametrize("pattern", ["#", "awtrix/#", "awtrix/+/notify", "$SYS/#", "awtrix/{other}/#", "awtrix/{own}"])
def test_subscription_outside_own_namespace_gets_suback_failure_and_connection_stays_up(mqtt: Clients, pattern: str) -> None:
    own, other = generate_token(), generate_token()
    device = mqtt.device(own)
    assert device.subscribe(pattern.format(own=own, other=other), f"awtrix/{own}/notify") == [0x80, 0]
    device.sync()
    assert not device.disconnected.is_set()


def test_device_may_publish_into_its_own_command_topics(mqtt: Clients, token: str) -> None:
    # Unlike the shipped Mosquitto ACL, the embedded broker lets a device write anywhere in its own
    # namespace: only it can read there, so it can only talk to itself (e.g. an app on the LAN).
    clock, app = mqtt.device(token), mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    app.send(f"awtrix/{token}/notify", b'{"text":"from the LAN"}')
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"from the LAN"}')


def test_retained_publish_is_not_kept_for_later_subscribers(mqtt: Clients, token: str) -> None:
    publisher = mqtt.device(token)
    publisher.send(f"awtrix/{token}/notify", b"retained?", retain=True)
    publisher.sync()
    late, gateway = mqtt.device(token), mqtt.gateway()
    late.subscribe(f"awtrix/{token}/notify")
    gateway.devices_reached(topic_for(token, "notify"), b"sentinel")
    message = late.next_message()
    assert (message.payload, message.retain) == (b"sentinel", False)
