"""The embedded broker routes gateway publishes before acknowledging them and reports devices reached."""

from collections.abc import Callable

from common.topics import topic_for
from tests.support.mqtt import BareGateway, Device


def test_gateway_publish_without_subscriber_reports_zero_devices(gateway: BareGateway, token: str) -> None:
    assert gateway.send(topic_for(token, "notify"), b"{}") == 0


def test_gateway_publish_reaches_subscribed_device_and_reports_one(
    device: Callable[..., Device], gateway: BareGateway, token: str
) -> None:
    clock = device(token)
    assert clock.subscribe(f"awtrix/{token}/notify") == [0]
    assert gateway.send(topic_for(token, "notify"), b'{"text":"hi"}') == 1
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')


def test_receipt_counts_each_device_once_even_with_overlapping_filters(
    device: Callable[..., Device], gateway: BareGateway, token: str
) -> None:
    first, second = device(token), device(token)
    assert first.subscribe(f"awtrix/{token}/#", f"awtrix/{token}/notify") == [0, 0]
    assert second.subscribe(f"awtrix/{token}/+") == [0]
    assert gateway.send(topic_for(token, "notify"), b"{}") == 2
    first.expect_only(f"awtrix/{token}/notify", b"{}")
    second.expect_only(f"awtrix/{token}/notify", b"{}")


def test_qos1_publish_reaches_qos0_subscriber_at_qos0(device: Callable[..., Device], gateway: BareGateway, token: str) -> None:
    clock = device(token)
    clock.subscribe(f"awtrix/{token}/notify", qos=0)
    gateway.send(topic_for(token, "notify"), b"{}")
    assert clock.expect().qos == 0


def test_qos1_subscriber_gets_qos1(device: Callable[..., Device], gateway: BareGateway, token: str) -> None:
    clock = device(token)
    assert clock.subscribe(f"awtrix/{token}/notify", qos=1) == [1]
    gateway.send(topic_for(token, "notify"), b"{}")
    assert clock.expect().qos == 1


def test_unsubscribed_device_is_no_longer_counted(device: Callable[..., Device], gateway: BareGateway, token: str) -> None:
    clock = device(token)
    clock.subscribe(f"awtrix/{token}/notify")
    assert gateway.send(topic_for(token, "notify"), b"{}") == 1
    clock.client.unsubscribe(f"awtrix/{token}/notify")
    clock.expect()  # the first message
    # UNSUBACK is processed before the next publish on the broker side; the receipt is the broker's truth
    for _ in range(50):
        if gateway.send(topic_for(token, "notify"), b"{}") == 0:
            break
    else:
        raise AssertionError("device still counted after unsubscribing")


def test_disconnected_device_is_no_longer_counted(device: Callable[..., Device], gateway: BareGateway, token: str) -> None:
    clock = device(token)
    clock.subscribe(f"awtrix/{token}/#")
    assert gateway.send(topic_for(token, "notify"), b"{}") == 1
    clock.close()
    assert clock.disconnected.wait(5)
    for _ in range(50):
        if gateway.send(topic_for(token, "notify"), b"{}") == 0:
            break
    else:
        raise AssertionError("device still counted after disconnecting")
