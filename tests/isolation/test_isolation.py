"""The isolation promise, on every relay broker: no token ever sees or touches another token's messages."""

import queue

import pytest

from common.tokens import generate_token
from tests.support.clients import Client, Clients, sentinel_comes_first
from tests.support.devices.awtrix_ng import AwtrixNg
from tests.support.relays import Relay

# Filters a device subscribes to, hoping to read what the gateway sends to another token (b).
FOREIGN_FILTERS = [
    "#",
    "+/+/notify",
    "awtrix/#",
    "awtrix/+/notify",
    "awtrix/+/#",
    "+/{b}/notify",
    "awtrix/{b}/#",
    "awtrix/{b}/notify",
    "$SYS/#",
    "homeassistant/#",
]


def _suback_for_foreign_filter(relay: Relay) -> int:
    # The embedded broker refuses the filter (SUBACK 0x80); Mosquitto 2.0 grants it and checks read access
    # per message, so it delivers nothing. Either way the connection stays up.
    return 0x80 if relay.kind == "embedded" else 0


@pytest.mark.parametrize("pattern", FOREIGN_FILTERS)
def test_subscription_outside_own_namespace_delivers_nothing(relay: Relay, mqtt: Clients, pattern: str) -> None:
    a, b = generate_token(), generate_token()
    spy, owner, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    assert spy.subscribe(pattern.format(b=b), f"awtrix/{a}/notify") == [_suback_for_foreign_filter(relay), 0]
    owner.subscribe(f"awtrix/{b}/#")
    gateway.publish(f"awtrix/{b}/notify", b'{"text":"for b only"}')
    assert owner.next_message().payload == b'{"text":"for b only"}'
    assert sentinel_comes_first(spy, gateway, a) == []
    assert not spy.disconnected.is_set()


@pytest.mark.parametrize("topic", ["awtrix/{b}/notify", "awtrix/{b}/stats", "awtrix/{b}/custom/x", "awtrix/{b}"])
def test_device_cannot_publish_into_another_token_namespace(mqtt: Clients, topic: str) -> None:
    a, b = generate_token(), generate_token()
    attacker, victim, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    victim.subscribe(f"awtrix/{b}/#")
    attacker.send(topic.format(b=b), b'{"text":"forged"}')
    attacker.sync()
    assert sentinel_comes_first(victim, gateway, b) == []


@pytest.mark.parametrize("topic", ["homeassistant/light/x/config", "other/topic", "$SYS/broker/x"])
def test_device_publish_outside_any_namespace_goes_nowhere(mqtt: Clients, topic: str) -> None:
    a, b = generate_token(), generate_token()
    attacker, bystander, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    bystander.subscribe(f"awtrix/{b}/#")
    attacker.send(topic, b"{}")
    attacker.sync()
    assert sentinel_comes_first(bystander, gateway, b) == []


def test_device_status_reaches_its_own_subscribers_only(mqtt: Clients) -> None:
    a, b = generate_token(), generate_token()
    clock_a, app_a, spy_b, gateway = mqtt.device(a), mqtt.device(a), mqtt.device(b), mqtt.gateway()
    app_a.subscribe(f"awtrix/{a}/stats")
    spy_b.subscribe(f"awtrix/{a}/stats", f"awtrix/{b}/notify")
    clock_a.send(f"awtrix/{a}/stats", b'{"bat":99}')
    app_a.expect_only(f"awtrix/{a}/stats", b'{"bat":99}')
    assert sentinel_comes_first(spy_b, gateway, b) == []


def test_gateway_publishes_into_any_token_and_the_device_receives_it_unretained(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify")
    assert mqtt.delivered(gateway, f"awtrix/{token}/notify", b'{"text":"hi"}')
    message = clock.next_message()
    assert (message.topic, message.payload, message.retain) == (f"awtrix/{token}/notify", b'{"text":"hi"}', False)


def test_delivered_answer_is_false_without_a_subscriber_and_after_unsubscribing(mqtt: Clients, token: str) -> None:
    gateway = mqtt.gateway()
    assert not mqtt.delivered(gateway, f"awtrix/{token}/notify", b"{}")
    clock = mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    assert mqtt.delivered(gateway, f"awtrix/{token}/notify", b"{}")
    clock.paho.unsubscribe(f"awtrix/{token}/notify")
    clock.sync()
    assert not mqtt.delivered(gateway, f"awtrix/{token}/notify", b"{}")


def test_same_token_and_client_id_takes_over_and_closes_the_old_connection(mqtt: Clients, token: str) -> None:
    old = mqtt.device(token, client_id="awtrix_abcdef")
    old.subscribe(f"awtrix/{token}/notify")
    new, gateway = mqtt.device(token, client_id="awtrix_abcdef"), mqtt.gateway()
    old.wait_disconnected()
    new.subscribe(f"awtrix/{token}/notify")
    assert mqtt.delivered(gateway, f"awtrix/{token}/notify", b"to new")
    new.expect_only(f"awtrix/{token}/notify", b"to new")
    assert old.messages.empty()


def test_will_outside_own_namespace_is_never_published(mqtt: Clients) -> None:
    own, victim = generate_token(), generate_token()
    victim_clock, gateway = mqtt.device(victim), mqtt.gateway()
    victim_clock.subscribe(f"awtrix/{victim}/#")
    attacker = mqtt.device(own, will=(f"awtrix/{victim}/notify", b"forged will", 0, False))
    attacker.paho._sock.close()  # vanish without DISCONNECT so the broker fires the will
    assert sentinel_comes_first(victim_clock, gateway, victim) == []


def test_awtrix_will_inside_own_namespace_reaches_own_subscriber(mqtt: Clients, token: str) -> None:
    watcher = mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/stats/device")
    clock = mqtt.device(token, will=(f"awtrix/{token}/stats/device", b"offline", 0, False))
    clock.paho._sock.close()
    watcher.expect_only(f"awtrix/{token}/stats/device", b"offline")


def test_offline_device_gets_nothing_queued(mqtt: Clients, token: str) -> None:
    persistent = mqtt.device(token, client_id="persist-1", clean_session=False)
    persistent.subscribe(f"awtrix/{token}/notify", qos=1)
    persistent.close()
    gateway = mqtt.gateway()
    gateway.publish(f"awtrix/{token}/notify", b"while away")
    again = mqtt.device(token, client_id="persist-1", clean_session=False)
    again.subscribe(f"awtrix/{token}/notify", qos=1)
    assert sentinel_comes_first(again, gateway, token) == []


def answered(relay: Relay, gateway: Client, token: str, command: str) -> bytes:
    """Publish an NG command to token as the gateway and return the clock's answer once the gateway has it."""
    if relay.kind == "embedded":
        gateway.publish(f"awtrix/{token}/{command}", b'{"text":"for b"}')
        return gateway.next_reply()[2]
    gateway.subscribe(f"awtrix/{token}/{command}/result")  # the gateway listener may read NG answers
    gateway.publish(f"awtrix/{token}/{command}", b'{"text":"for b"}')
    return gateway.messages_before_topic(f"awtrix/{token}/{command}/result").payload


def test_ng_clock_never_sees_another_tokens_commands_or_answers(relay: Relay, mqtt: Clients) -> None:
    a, b = generate_token(), generate_token()
    clock_a = AwtrixNg(relay.host, relay.device_port, a).start()
    clock_b = AwtrixNg(relay.host, relay.device_port, b).start()
    try:
        gateway = mqtt.gateway()
        assert answered(relay, gateway, b, "cmd/notify") == b'{"ok":true}'
        spy = mqtt.device(a)
        spy.subscribe(f"awtrix/{a}/notify")
        assert sentinel_comes_first(spy, gateway, a) == []
        assert [topic for topic, _ in drain(clock_a.received)] == []
        assert [topic for topic, _ in drain(clock_b.received)] == [f"awtrix/{b}/cmd/notify"]
    finally:
        clock_a.close()
        clock_b.close()


def test_ng_answers_reach_no_other_device_of_the_same_token(relay: Relay, mqtt: Clients, token: str) -> None:
    watcher = mqtt.device(token)
    watcher.subscribe(f"awtrix/{token}/#")
    clock = AwtrixNg(relay.host, relay.device_port, token).start()
    try:
        gateway = mqtt.gateway()
        assert answered(relay, gateway, token, "cmd/apps/next") == b'{"ok":true}'
        seen = [message.topic for message in sentinel_comes_first(watcher, gateway, token)]
        assert f"awtrix/{token}/cmd/apps/next" in seen
        assert [topic for topic in seen if topic.endswith("/result")] == []
    finally:
        clock.close()


def drain(box: "queue.Queue[tuple[str, bytes]]") -> list[tuple[str, bytes]]:
    """Return everything in a queue now."""
    items = []
    while not box.empty():
        items.append(box.get())
    return items
