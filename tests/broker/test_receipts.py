"""The embedded broker routes gateway publishes before acknowledging them and reports devices reached."""

from common.topics import topic_for
from tests.support.clients import Clients


def test_gateway_publish_without_subscriber_reports_zero_devices(mqtt: Clients, token: str) -> None:
    assert mqtt.gateway().devices_reached(topic_for(token, "notify"), b"{}") == 0


def test_gateway_publish_reaches_subscribed_device_and_reports_one(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    assert clock.subscribe(f"awtrix/{token}/notify") == [0]
    assert gateway.devices_reached(topic_for(token, "notify"), b'{"text":"hi"}') == 1
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')


def test_receipt_counts_each_device_once_even_with_overlapping_filters(mqtt: Clients, token: str) -> None:
    first, second, gateway = mqtt.device(token), mqtt.device(token), mqtt.gateway()
    assert first.subscribe(f"awtrix/{token}/#", f"awtrix/{token}/notify") == [0, 0]
    assert second.subscribe(f"awtrix/{token}/+") == [0]
    assert gateway.devices_reached(topic_for(token, "notify"), b"{}") == 2
    first.expect_only(f"awtrix/{token}/notify", b"{}")
    second.expect_only(f"awtrix/{token}/notify", b"{}")
    assert first.messages.empty()


def test_qos1_publish_reaches_qos0_subscriber_at_qos0(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify", qos=0)
    gateway.devices_reached(topic_for(token, "notify"), b"{}")
    assert clock.next_message().qos == 0


def test_qos1_subscriber_gets_qos1(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    assert clock.subscribe(f"awtrix/{token}/notify", qos=1) == [1]
    gateway.devices_reached(topic_for(token, "notify"), b"{}")
    assert clock.next_message().qos == 1


def test_device_publishing_at_qos0_reaches_a_qos1_subscriber_at_qos0(mqtt: Clients, token: str) -> None:
    clock, app = mqtt.device(token), mqtt.device(token)
    clock.subscribe(f"awtrix/{token}/stats", qos=1)
    app.send(f"awtrix/{token}/stats", b"{}", qos=0)
    assert clock.next_message().qos == 0


def test_unsubscribed_device_is_no_longer_counted(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/notify")
    assert gateway.devices_reached(topic_for(token, "notify"), b"{}") == 1
    clock.sync()  # an UNSUBSCRIBE round trip of its own ...
    clock.paho.unsubscribe(f"awtrix/{token}/notify")
    clock.sync()  # ... and after this one the broker has handled the real UNSUBSCRIBE
    assert gateway.devices_reached(topic_for(token, "notify"), b"{}") == 0


def test_disconnected_device_is_no_longer_counted(mqtt: Clients, token: str) -> None:
    clock, gateway = mqtt.device(token), mqtt.gateway()
    clock.subscribe(f"awtrix/{token}/#")
    assert gateway.devices_reached(topic_for(token, "notify"), b"{}") == 1
    clock.close()
    watcher = mqtt.device(token)  # connects after the DISCONNECT was sent on another connection
    watcher.sync()
    for _ in range(50):  # the DISCONNECT travels on another connection: poll the broker's truth briefly
        if gateway.devices_reached(topic_for(token, "notify"), b"{}") == 0:
            break
    else:
        raise AssertionError("device still counted after disconnecting")
