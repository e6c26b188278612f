"""Isolation attacks from real MQTT clients: no token ever sees or touches another token's messages."""

from collections.abc import Callable

import pytest

from common.tokens import generate_token
from common.topics import topic_for
from tests.support.embedded import TEST_SECRET
from tests.support.mqtt import BareGateway, Device

REFUSED = 0x80
NOT_AUTHORIZED = 135  # paho 2 reports an MQTT 3.1.1 CONNACK 5 as reason code 0x87

FOREIGN_FILTERS = [
    "#",
    "+/+/notify",
    "awtrix/#",
    "awtrix/+/notify",
    "awtrix/+/#",
    "+/{victim}/notify",
    "awtrix/{victim}/#",
    "awtrix/{victim}/notify",
    "$SYS/#",
    "homeassistant/#",
    "awtrix/{own}",
    "awtrix/{own}/",
]


@pytest.mark.parametrize("pattern", FOREIGN_FILTERS)
def test_subscription_outside_own_namespace_is_refused_and_connection_stays_up(
    device: Callable[..., Device], gateway: BareGateway, pattern: str
) -> None:
    own, victim = generate_token(), generate_token()
    attacker = device(own)
    victim_clock = device(victim)
    victim_clock.subscribe(f"awtrix/{victim}/notify")
    topic_filter = pattern.format(own=own, victim=victim)
    assert attacker.subscribe(topic_filter, f"awtrix/{own}/notify") == [REFUSED, 0]
    assert gateway.send(topic_for(victim, "notify"), b"secret") == 1
    assert gateway.send(topic_for(own, "notify"), b"sentinel") == 1
    attacker.expect_only(f"awtrix/{own}/notify", b"sentinel")
    victim_clock.expect_only(f"awtrix/{victim}/notify", b"secret")
    assert not attacker.disconnected.is_set()


@pytest.mark.parametrize(
    "pattern",
    ["awtrix/{victim}/notify", "awtrix/{victim}/stats", "homeassistant/sensor/x/config", "other/topic", "awtrix"],
)
def test_device_publish_outside_own_namespace_is_dropped(
    device: Callable[..., Device], gateway: BareGateway, pattern: str
) -> None:
    own, victim = generate_token(), generate_token()
    attacker = device(own)
    victim_clock = device(victim)
    victim_clock.subscribe(f"awtrix/{victim}/#")
    attacker.publish(pattern.format(victim=victim), b"forged", qos=1)
    gateway.send(topic_for(victim, "notify"), b"sentinel")
    victim_clock.expect_only(f"awtrix/{victim}/notify", b"sentinel")
    assert not attacker.disconnected.is_set()


def test_device_publish_inside_own_namespace_reaches_own_subscriber(device: Callable[..., Device], token: str) -> None:
    clock, app = device(token), device(token)
    clock.subscribe(f"awtrix/{token}/stats")
    app.publish(f"awtrix/{token}/stats", b'{"bat":99}')
    clock.expect_only(f"awtrix/{token}/stats", b'{"bat":99}')


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
    ],
)
def test_connect_with_invalid_credentials_is_refused(device: Callable[..., Device], username: str, password: str) -> None:
    device(username, expect_rc=NOT_AUTHORIZED, password=password)


def test_gateway_cannot_subscribe(gateway: BareGateway, token: str) -> None:
    assert gateway.subscribe(f"awtrix/{token}/#", "#") == [REFUSED, REFUSED]


def test_gateway_cannot_publish_outside_token_namespaces(device: Callable[..., Device], gateway: BareGateway, token: str) -> None:
    clock = device(token)
    clock.subscribe(f"awtrix/{token}/#")
    for topic in ("elsewhere", "awtrix/short/notify", f"awtrix/{token}"):
        assert gateway.send(topic, b"x") == 0
    assert gateway.send(topic_for(token, "notify"), b"sentinel") == 1
    clock.expect_only(f"awtrix/{token}/notify", b"sentinel")


def test_same_client_id_from_another_token_does_not_take_over(device: Callable[..., Device], gateway: BareGateway) -> None:
    victim, attacker = generate_token(), generate_token()
    clock = device(victim, client_id="awtrix_7ac880")
    clock.subscribe(f"awtrix/{victim}/notify")
    intruder = device(attacker, client_id="awtrix_7ac880")
    intruder.subscribe(f"awtrix/{attacker}/notify")
    assert gateway.send(topic_for(victim, "notify"), b"still mine") == 1
    clock.expect_only(f"awtrix/{victim}/notify", b"still mine")
    assert not clock.disconnected.is_set()


@pytest.mark.parametrize("password", ["wrong", None])
def test_failed_login_with_victims_client_id_disturbs_nothing(
    device: Callable[..., Device], gateway: BareGateway, token: str, password: str | None
) -> None:
    clock = device(token, client_id="awtrix_0a0b0c")
    clock.subscribe(f"awtrix/{token}/notify")
    device("gateway", expect_rc=NOT_AUTHORIZED, password=password, client_id="awtrix_0a0b0c")
    device("not a token", expect_rc=NOT_AUTHORIZED, client_id="awtrix_0a0b0c")
    assert gateway.send(topic_for(token, "notify"), b"intact") == 1
    clock.expect_only(f"awtrix/{token}/notify", b"intact")
    assert not clock.disconnected.is_set()


def test_same_token_and_client_id_takes_over_and_closes_old_connection(
    device: Callable[..., Device], gateway: BareGateway, token: str
) -> None:
    old = device(token, client_id="awtrix_abcdef")
    old.subscribe(f"awtrix/{token}/notify")
    new = device(token, client_id="awtrix_abcdef")
    assert old.disconnected.wait(5)
    old.client.loop_stop()  # paho would otherwise reconnect and take the session back
    new.subscribe(f"awtrix/{token}/notify")
    assert gateway.send(topic_for(token, "notify"), b"to new") == 1
    new.expect_only(f"awtrix/{token}/notify", b"to new")
    assert old.messages.empty()


def test_will_outside_own_namespace_is_never_published(
    embedded_broker: object, device: Callable[..., Device], gateway: BareGateway
) -> None:
    own, victim = generate_token(), generate_token()
    victim_clock = device(victim)
    victim_clock.subscribe(f"awtrix/{victim}/#")
    attacker = Device(embedded_broker.port, own)  # type: ignore[attr-defined]
    attacker.client.will_set(f"awtrix/{victim}/notify", b"forged will")
    assert attacker.connect() == 0
    attacker.client._sock.close()  # vanish without DISCONNECT so the broker fires the will
    attacker.client.loop_stop()
    gateway.send(topic_for(victim, "notify"), b"sentinel")
    victim_clock.expect_only(f"awtrix/{victim}/notify", b"sentinel")


def test_will_inside_own_namespace_is_published_to_own_subscriber(
    embedded_broker: object, device: Callable[..., Device], token: str
) -> None:
    watcher = device(token)
    watcher.subscribe(f"awtrix/{token}/stats/device")
    clock = Device(embedded_broker.port, token)  # type: ignore[attr-defined]
    clock.client.will_set(f"awtrix/{token}/stats/device", b"offline")
    assert clock.connect() == 0
    clock.client._sock.close()
    clock.client.loop_stop()
    watcher.expect_only(f"awtrix/{token}/stats/device", b"offline")


def test_retained_publish_is_not_kept_for_later_subscribers(
    device: Callable[..., Device], gateway: BareGateway, token: str
) -> None:
    publisher = device(token)
    publisher.publish(f"awtrix/{token}/notify", b"retained?", qos=1, retain=True)
    late = device(token)
    late.subscribe(f"awtrix/{token}/notify")
    gateway.send(topic_for(token, "notify"), b"sentinel")
    got = late.expect()
    assert (got.payload, got.retain) == (b"sentinel", False)


def test_offline_device_gets_nothing_queued(
    embedded_broker: object, device: Callable[..., Device], gateway: BareGateway, token: str
) -> None:
    persistent = Device(embedded_broker.port, token, client_id="persist-1")  # type: ignore[attr-defined]
    persistent.client._clean_session = False
    assert persistent.connect() == 0
    persistent.subscribe(f"awtrix/{token}/notify", qos=1)
    persistent.close()
    assert gateway.send(topic_for(token, "notify"), b"while away") == 0
    again = device(token, client_id="persist-1")
    again.subscribe(f"awtrix/{token}/notify", qos=1)
    gateway.send(topic_for(token, "notify"), b"sentinel")
    again.expect_only(f"awtrix/{token}/notify", b"sentinel")


def test_gateway_secret_is_compared_exactly(device: Callable[..., Device]) -> None:
    device("gateway", expect_rc=NOT_AUTHORIZED, password=TEST_SECRET + "x")
    device("gateway", expect_rc=0, password=TEST_SECRET)
