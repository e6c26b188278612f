"""A device logged in with its token reads and writes only inside awtrix/<token>/, and nothing else does."""

import pytest

from common.tokens import generate_token

from .clients import Clients, sentinel_comes_first

# Filters another device subscribes to, hoping to read what the gateway sends to token b.
FOREIGN_FILTERS = [
    "#",
    "awtrix/#",
    "awtrix/+/notify",
    "+/{b}/notify",
    "awtrix/{b}/#",
    "awtrix/{b}/notify",
    "$SYS/#",
    "homeassistant/#",
]


@pytest.mark.parametrize("pattern", FOREIGN_FILTERS)
def test_device_subscription_outside_its_namespace_is_granted_but_delivers_nothing(mqtt: Clients, pattern: str) -> None:
    a, b = generate_token(), generate_token()
    spy, owner, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    # Mosquitto 2.0.11 checks read access per message, not per filter: the SUBACK grants the filter (QoS 0,
    # the device listener's max_qos) instead of failing with 0x80.
    assert spy.subscribe(pattern.format(b=b), f"awtrix/{a}/notify") == [0, 0]
    owner.subscribe(f"awtrix/{b}/#")

    gateway.publish(f"awtrix/{b}/notify", b'{"text":"for b only"}')

    assert owner.next_message().payload == b'{"text":"for b only"}'
    assert sentinel_comes_first(spy, gateway, a) == []


@pytest.mark.parametrize("topic", ["awtrix/{b}/notify", "awtrix/{b}/stats", "awtrix/{b}/custom/x", "awtrix/{b}"])
def test_device_cannot_publish_into_another_token_namespace(mqtt: Clients, topic: str) -> None:
    a, b = generate_token(), generate_token()
    attacker, victim, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    victim.subscribe(f"awtrix/{b}/#")

    attacker.send(topic.format(b=b), b'{"text":"forged"}')
    attacker.sync()

    assert sentinel_comes_first(victim, gateway, b) == []


def test_device_status_is_not_received_by_another_device(mqtt: Clients) -> None:
    a, b = generate_token(), generate_token()
    clock_a, spy_b, gateway = mqtt.device(a), mqtt.device(b), mqtt.gateway()
    clock_a.subscribe(f"awtrix/{a}/stats")
    spy_b.subscribe("awtrix/#", f"awtrix/{a}/stats", f"awtrix/{b}/notify")

    clock_a.send(f"awtrix/{a}/stats", b'{"bat":99}')

    assert clock_a.next_message().payload == b'{"bat":99}'
    assert sentinel_comes_first(spy_b, gateway, b) == []


@pytest.mark.parametrize(
    ("subtopic", "allowed"),
    [
        ("stats", True),
        ("stats/device", True),
        ("stats/buttonLeft", True),
        ("screen", True),
        ("notify", False),
        ("custom/weather", False),
        ("reboot", False),
        ("doupdate", False),
        ("settings", False),
    ],
)
def test_device_may_publish_only_what_awtrix_publishes(mqtt: Clients, subtopic: str, allowed: bool) -> None:
    token = generate_token()
    clock, listener, gateway = mqtt.device(token), mqtt.device(token), mqtt.gateway()
    listener.subscribe(f"awtrix/{token}/#")

    clock.send(f"awtrix/{token}/{subtopic}", b"{}")
    clock.sync()

    received = sentinel_comes_first(listener, gateway, token)
    assert [m.topic for m in received] == ([f"awtrix/{token}/{subtopic}"] if allowed else [])


def test_gateway_publishes_into_any_token_and_the_device_receives_it(mqtt: Clients) -> None:
    token = generate_token()
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify")

    assert gateway.publish(f"awtrix/{token}/notify", b'{"text":"hi"}') == 0

    message = clock.next_message()
    assert (message.topic, message.payload, message.retain) == (f"awtrix/{token}/notify", b'{"text":"hi"}', False)


def test_client_without_username_reads_and_writes_nothing(mqtt: Clients) -> None:
    token = generate_token()
    anonymous, clock, gateway = mqtt.device(None, None), mqtt.device(token), mqtt.gateway()
    assert anonymous.subscribe("#", "awtrix/#", f"awtrix/{token}/#") == [0, 0, 0]
    clock.subscribe(f"awtrix/{token}/#")

    anonymous.send(f"awtrix/{token}/stats", b"forged")
    anonymous.sync()
    gateway.publish(f"awtrix/{token}/notify", b"to the clock")
    assert clock.messages_before(f"awtrix/{token}/notify", b"to the clock") == []
    # No topic is readable without a username, so no sentinel can reach it: the round trip proves instead
    # that anything queued for it before now has arrived.
    anonymous.sync()
    assert anonymous.messages.empty()


def test_taking_over_a_client_id_does_not_take_over_its_access(mqtt: Clients) -> None:
    a, b = generate_token(), generate_token()
    first = mqtt.device(a, client_id="awtrix_7ac880", clean_session=False)
    first.subscribe(f"awtrix/{a}/#")
    first.close()
    gateway = mqtt.gateway()

    intruder = mqtt.new(mqtt.broker.device_port, b, "x", client_id="awtrix_7ac880", clean_session=False)
    connack = intruder.connect()
    # Mosquitto hands the session (and its subscription to awtrix/a/#) to the new login, but checks
    # each delivery against the new username.
    assert connack is not None and (connack.reason_code, connack.session_present) == (0, True)
    gateway.publish(f"awtrix/{a}/notify", b"for a")
    intruder.subscribe(f"awtrix/{b}/notify")
    assert sentinel_comes_first(intruder, gateway, b) == []


def test_username_with_a_slash_reads_only_the_subtopic_it_names(mqtt: Clients) -> None:
    # Mosquitto cannot refuse usernames that are not tokens; "<token>/notify" gets awtrix/<token>/notify/#,
    # a part of a namespace that only someone who knows the token can name.
    token = generate_token()
    odd, gateway = mqtt.device(f"{token}/notify"), mqtt.gateway()
    odd.subscribe(f"awtrix/{token}/#")

    gateway.publish(f"awtrix/{token}/custom/clock", b"not for it")
    gateway.publish(f"awtrix/{token}/notify", b"last")

    assert odd.messages_before(f"awtrix/{token}/notify", b"last") == []
