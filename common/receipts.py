"""The delivery receipt the embedded broker sends the gateway before each PUBACK.

MQTT 3.1.1 has no "no matching subscribers" reason code, so for every QoS 1 publish from
the gateway the embedded broker first routes the message, then sends one QoS 0 PUBLISH on
RECEIPT_TOPIC whose payload is "<packet id> <devices reached>", then the PUBACK. Both travel
on the same connection in that order, so the receipt is always known when the PUBACK arrives.
"""

RECEIPT_TOPIC = "$relay/receipt"


def encode_receipt(packet_id: int, devices: int) -> bytes:
    """Return the receipt payload for a routed publish."""
    return f"{packet_id} {devices}".encode("ascii")


def decode_receipt(payload: bytes) -> tuple[int, int]:
    """Return (packet id, devices reached) from a receipt payload; raise ValueError if malformed."""
    packet_id, devices = payload.decode("ascii").split(" ")
    return int(packet_id), int(devices)
