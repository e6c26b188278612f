"""POST /cloud through the gateway's real publishers to a real broker and a real subscribed device."""

import json
import time
from collections.abc import Callable

import pytest

from gateway.publishing import Publisher
from gateway.settings import BrokerSettings
from tests.gateway.conftest import Gateway, Mosquitto, embedded_settings
from tests.support.clients import Client, Clients
from tests.support.embedded import EmbeddedBroker

IFTTT_BODY = b'{ "force": true, "icon": 36,\n  "text": "New mail from Alice", "color": [255, 255, 255] }'
COMPACT = b'{"force":true,"icon":36,"text":"New mail from Alice","color":[255,255,255]}'


@pytest.fixture
def on_mosquitto(
    mosquitto: Mosquitto, make_publisher: Callable[..., Publisher], make_gateway: Callable[..., Gateway]
) -> Callable[..., Gateway]:
    """Return a factory of gateways publishing to Mosquitto as an external MQTT 5 broker."""
    return lambda **settings: make_gateway(make_publisher(mosquitto.external()), **settings)


@pytest.fixture
def mosquitto_device(plain_mqtt: Clients) -> Callable[[str], Client]:
    """Return a factory of devices on Mosquitto subscribed to their token's whole namespace."""

    def make(token: str) -> Client:
        device = plain_mqtt.device(token)
        assert device.subscribe(f"awtrix/{token}/#") == [0]
        return device

    return make


def test_webhook_to_subscribed_device_returns_200_delivered_and_device_gets_compact_json(
    on_mosquitto: Callable[..., Gateway], mosquitto_device: Callable[[str], Client], token: str
) -> None:
    clock = mosquitto_device(token)
    response = on_mosquitto().webhook(token, body=IFTTT_BODY)
    assert (response.status_code, response.get_json()) == (200, {"delivered": True, "mode": "notify"})
    clock.expect_only(f"awtrix/{token}/notify", COMPACT)


def test_webhook_without_subscriber_returns_202_no_device_connected(on_mosquitto: Callable[..., Gateway], token: str) -> None:
    response = on_mosquitto().webhook(token)
    assert response.status_code == 202
    assert response.get_json() == {"delivered": False, "reason": "no_device_connected", "mode": "notify"}


def test_webhook_only_reaches_its_own_token(
    on_mosquitto: Callable[..., Gateway], mosquitto_device: Callable[[str], Client], token: str
) -> None:
    other = mosquitto_device("someone-elses-token-0123")
    assert on_mosquitto().webhook(token).status_code == 202
    assert other.messages.empty()


@pytest.mark.parametrize(
    ("mode", "body", "topic", "payload"),
    [
        ("custom/solar", b'[{"text": "4 kW"}, {"text": "5 kW"}]', "custom/solar", b'[{"text":"4 kW"},{"text":"5 kW"}]'),
        ("custom/solar", b"", "custom/solar", b""),
        ("rtttl", b'"Beep:d=4,o=5,b=100:c"', "rtttl", b"Beep:d=4,o=5,b=100:c"),
        ("nextapp", b"ignored", "nextapp", b""),
        ("notify/dismiss", b"", "notify/dismiss", b""),
        ("indicator1", b'{"color": [255, 0, 0]}', "indicator1", b'{"color":[255,0,0]}'),
        ("moodlight", b"", "moodlight", b""),
    ],
)
def test_webhook_mode_publishes_to_its_topic(
    on_mosquitto: Callable[..., Gateway],
    mosquitto_device: Callable[[str], Client],
    token: str,
    mode: str,
    body: bytes,
    topic: str,
    payload: bytes,
) -> None:
    clock = mosquitto_device(token)
    assert on_mosquitto().webhook(token, mode=mode, body=body).status_code == 200
    clock.expect_only(f"awtrix/{token}/{topic}", payload)


def test_webhook_message_is_qos_1_on_the_wire_and_never_retained(
    on_mosquitto: Callable[..., Gateway], plain_mqtt: Clients, token: str
) -> None:
    on_mosquitto().webhook(token)  # nobody listens: a retained message would now wait on the broker
    late = plain_mqtt.device(token)
    assert late.subscribe(f"awtrix/{token}/#", qos=1) == [1]
    assert on_mosquitto().webhook(token, body=b'{"text":"second"}').status_code == 200
    received = late.next_message()
    assert (received.payload, received.qos, received.retain) == (b'{"text":"second"}', 1, False)


def test_webhook_token_in_bearer_header_is_delivered(
    on_mosquitto: Callable[..., Gateway], mosquitto_device: Callable[[str], Client], token: str
) -> None:
    clock = mosquitto_device(token)
    response = on_mosquitto().webhook(None, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')


def test_hide_presence_answers_the_same_with_and_without_a_device(
    on_mosquitto: Callable[..., Gateway], mosquitto_device: Callable[[str], Client], token: str
) -> None:
    gateway = on_mosquitto(hide_presence=True)
    absent = gateway.webhook("absent-device-token-0123")
    clock = mosquitto_device(token)
    present = gateway.webhook(token)
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')
    assert (absent.status_code, absent.get_data()) == (present.status_code, present.get_data())
    assert present.get_json() == {"accepted": True, "mode": "notify"}


def test_mqtt311_broker_answers_delivered_null(
    mosquitto: Mosquitto,
    make_publisher: Callable[..., Publisher],
    make_gateway: Callable[..., Gateway],
    mosquitto_device: Callable[[str], Client],
    token: str,
) -> None:
    # Embedded-broker settings against Mosquitto: MQTT 3.1.1 and no receipts, so no delivery signal.
    publisher = make_publisher(BrokerSettings(host="127.0.0.1", port=mosquitto.port, username="gateway", password="x"))
    clock = mosquitto_device(token)
    response = make_gateway(publisher).webhook(token)
    assert (response.status_code, response.get_json()) == (
        200,
        {"delivered": None, "reason": "broker_gives_no_delivery_signal", "mode": "notify"},
    )
    clock.expect_only(f"awtrix/{token}/notify", b'{"text":"hi"}')


def test_stopped_broker_gives_503_broker_unavailable_within_2_seconds(
    on_mosquitto: Callable[..., Gateway], mosquitto: Mosquitto, token: str
) -> None:
    gateway = on_mosquitto()
    assert gateway.http.get("/healthz").status_code == 200
    mosquitto.stop()
    assert gateway.publisher.wait_until(connected=False, timeout_s=5)  # type: ignore[attr-defined]
    started = time.monotonic()
    response = gateway.webhook(token)
    assert time.monotonic() - started < 2.0
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "broker_unavailable"
    assert response.headers["Retry-After"] == "1"
    assert gateway.http.get("/healthz").status_code == 503


def test_gateway_recovers_when_the_broker_comes_back(
    on_mosquitto: Callable[..., Gateway], mosquitto: Mosquitto, token: str
) -> None:
    gateway = on_mosquitto()
    mosquitto.stop()
    assert gateway.publisher.wait_until(connected=False, timeout_s=5)  # type: ignore[attr-defined]
    mosquitto.start()
    assert gateway.publisher.wait_until(connected=True, timeout_s=10)  # type: ignore[attr-defined]
    assert gateway.http.get("/healthz").get_json() == {"status": "ok"}
    assert gateway.webhook(token).status_code == 202


@pytest.fixture
def on_embedded(
    embedded_broker: EmbeddedBroker, make_publisher: Callable[..., Publisher], make_gateway: Callable[..., Gateway]
) -> Gateway:
    """A gateway publishing to the real embedded broker, which answers with receipts."""
    return make_gateway(make_publisher(embedded_settings(embedded_broker)))


def test_embedded_broker_receipt_gives_200_delivered(on_embedded: Gateway, mqtt: Clients, token: str) -> None:
    clock = mqtt.device(token)
    assert clock.subscribe(f"awtrix/{token}/#") == [0]
    response = on_embedded.webhook(token, body=IFTTT_BODY)
    assert (response.status_code, response.get_json()) == (200, {"delivered": True, "mode": "notify"})
    clock.expect_only(f"awtrix/{token}/notify", COMPACT)


def test_embedded_broker_receipt_gives_202_without_device(on_embedded: Gateway, token: str) -> None:
    response = on_embedded.webhook(token)
    assert (response.status_code, response.get_json()["reason"]) == (202, "no_device_connected")


def test_concurrent_webhooks_each_get_their_own_answer(on_embedded: Gateway, mqtt: Clients) -> None:
    from concurrent.futures import ThreadPoolExecutor

    present = [f"present-device-token-{n:04d}" for n in range(4)]
    absent = [f"absent--device-token-{n:04d}" for n in range(4)]
    for token in present:
        assert mqtt.device(token).subscribe(f"awtrix/{token}/#") == [0]
    jobs = [(token, n) for n in range(10) for token in present + absent]

    def send(job: tuple[str, int]) -> tuple[str, int]:
        token, n = job
        return token, on_embedded.webhook(token, body=json.dumps({"n": n}).encode()).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(send, jobs))
    assert results == [(token, 200 if token in present else 202) for token, _ in jobs]
