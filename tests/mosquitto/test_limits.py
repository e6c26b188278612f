"""max_packet_size: what Mosquitto 2.0.11 lets through to a device whose MQTT buffer holds 8192 bytes."""

import pytest

from common.tokens import generate_token
from tests.support.clients import MQTT5, MQTT311, Clients, sentinel_comes_first

AWTRIX_MAX_PACKET_BYTES = 8192
PACKET_TOO_LARGE = 149  # 0x95
UNSPECIFIED_ERROR = 128


def _length_field_bytes(remaining: int) -> int:
    return 1 if remaining < 128 else 2 if remaining < 16384 else 3


def publish_packet_bytes(topic: str, payload_len: int, qos: int, protocol: int) -> int:
    """Return the size on the wire of a PUBLISH without MQTT 5 properties (just their empty length byte)."""
    remaining = 2 + len(topic) + (2 if qos else 0) + (1 if protocol == MQTT5 else 0) + payload_len
    return 1 + _length_field_bytes(remaining) + remaining


def payload_len_for(topic: str, packet_bytes: int, qos: int, protocol: int) -> int:
    """Return the payload length that makes a PUBLISH exactly packet_bytes long."""
    length = packet_bytes - publish_packet_bytes(topic, 0, qos, protocol)
    while publish_packet_bytes(topic, length, qos, protocol) > packet_bytes:
        length -= 1
    assert publish_packet_bytes(topic, length, qos, protocol) == packet_bytes
    return length


# Mosquitto 2.0.11 refuses a packet when "remaining length + 1 > max_packet_size": the 2 bytes of the length
# field are not counted, so the largest packet accepted is 8194 bytes, whatever the protocol or QoS.
@pytest.mark.parametrize(
    ("protocol", "qos", "packet_bytes", "delivered"),
    [
        pytest.param(MQTT311, 1, 8192, True, id="mqtt311-qos1-8192"),
        pytest.param(MQTT311, 1, 8194, True, id="mqtt311-qos1-8194"),
        pytest.param(MQTT311, 1, 8195, False, id="mqtt311-qos1-8195"),
        pytest.param(MQTT5, 1, 8194, True, id="mqtt5-qos1-8194"),
        pytest.param(MQTT5, 1, 8195, False, id="mqtt5-qos1-8195"),
        # Reaches the device as 8194 bytes, which AWTRIX drops: only QoS 1 publishers (the gateway) fit exactly.
        pytest.param(MQTT311, 0, 8194, True, id="mqtt311-qos0-8194"),
        pytest.param(MQTT311, 0, 8195, False, id="mqtt311-qos0-8195"),
        pytest.param(MQTT5, 0, 8195, False, id="mqtt5-qos0-8195"),
        pytest.param(MQTT311, 1, 20000, False, id="mqtt311-qos1-20000"),
    ],
)
def test_publish_up_to_8194_bytes_passes_and_a_larger_one_disconnects_the_gateway(
    mqtt: Clients, protocol: int, qos: int, packet_bytes: int, delivered: bool
) -> None:
    token = generate_token()
    topic = f"awtrix/{token}/notify"
    clock, gateway = mqtt.device(token), mqtt.gateway(protocol=protocol)
    clock.subscribe(topic)
    payload = b"x" * payload_len_for(topic, packet_bytes, qos, protocol)

    gateway.send(topic, payload, qos=qos)

    if delivered:
        assert clock.next_message().payload == payload
    else:
        assert gateway.wait_disconnected() == (PACKET_TOO_LARGE if protocol == MQTT5 else UNSPECIFIED_ERROR)
        assert sentinel_comes_first(clock, mqtt.gateway(), token) == []


@pytest.mark.parametrize("protocol", [MQTT311, MQTT5], ids=["mqtt311", "mqtt5"])
def test_largest_qos1_message_reaches_the_device_within_its_buffer(mqtt: Clients, protocol: int) -> None:
    # The gateway publishes at QoS 1; devices get QoS 0, so the 2-byte packet id (and MQTT 5's property
    # length) is gone by the time the packet reaches the device, which pays for the uncounted length field.
    token = generate_token()
    topic = f"awtrix/{token}/notify"
    clock, gateway = mqtt.device(token), mqtt.gateway(protocol=protocol)
    clock.subscribe(topic)
    payload = b"x" * payload_len_for(topic, 8194, 1, protocol)

    gateway.publish(topic, payload)

    message = clock.next_message()
    assert message.qos == 0
    assert publish_packet_bytes(topic, len(message.payload), 0, MQTT311) <= AWTRIX_MAX_PACKET_BYTES


def test_device_sending_an_oversized_packet_is_disconnected(mqtt: Clients) -> None:
    token = generate_token()
    topic = f"awtrix/{token}/screen"
    clock = mqtt.device(token)

    clock.send(topic, b"0" * payload_len_for(topic, 8195, 0, MQTT311))

    assert clock.wait_disconnected() == UNSPECIFIED_ERROR
