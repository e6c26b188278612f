"""Mosquitto-specific isolation (the shared suite is tests/isolation/): what its ACL allows a device to write, and
how it treats logins the embedded broker would refuse."""

import pytest

from common.tokens import generate_token
from tests.support.clients import Clients, sentinel_comes_first


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


def test_username_with_a_slash_reads_only_below_the_subtopic_it_names(mqtt: Clients) -> None:
    # Mosquitto cannot refuse usernames that are not tokens; "<token>/notify" gets awtrix/<token>/notify/+ and
    # the like, a part of a namespace that only someone who knows the token can name.
    token = generate_token()
    odd, gateway = mqtt.device(f"{token}/notify"), mqtt.gateway()
    odd.subscribe(f"awtrix/{token}/#")

    gateway.publish(f"awtrix/{token}/custom/clock", b"not for it")
    gateway.publish(f"awtrix/{token}/notify", b"not for it either")
    gateway.publish(f"awtrix/{token}/notify/dismiss", b"last")

    assert odd.messages_before(f"awtrix/{token}/notify/dismiss", b"last") == []
