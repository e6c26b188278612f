"""What the embedded broker tells the gateway about its publishes: a delivery receipt before each PUBACK, then replies.

MQTT 3.1.1 has no "no matching subscribers" reason code, so for every QoS 1 publish from the gateway the embedded
broker first routes the message, then sends one QoS 0 PUBLISH on RECEIPT_TOPIC, then the PUBACK; both travel on
the same connection in that order. The receipt's payload is "<packet id> <devices reached>", followed when the
message reached nobody by " c=<connections> t=<trees>": how many connections of the token subscribe to anything,
and under which firmwares' topic trees (comma-separated, "-" for none; "other" for filters no firmware uses). When
the message reached clocks that answer it (AWTRIX NG's <command>/result, AWTRIX 3's screen), " w=<n>" says how
many answers will follow; " b=<n>" counts clocks it skipped because they owe too many answers already. Each
answer follows as a QoS 0 PUBLISH on REPLY_TOPIC: "<sequence> <topic under the prefix>\\n" and the clock's bytes,
where sequence counts the gateway connection's publishes from 1 (the same count on both sides: the broker handles
a connection's packets in order).
"""

from typing import NamedTuple

RECEIPT_TOPIC = "$relay/receipt"
REPLY_TOPIC = "$relay/reply"
NO_TREES = "-"


class Receipt(NamedTuple):
    """A decoded receipt (a tuple: made once per webhook, it must be cheap)."""

    packet_id: int
    reached: int
    connections: int | None = None  # sent only when nothing was reached
    trees: frozenset[str] | None = None
    awaiting: int = 0  # answers that will follow on REPLY_TOPIC
    busy: int = 0  # clocks skipped: they owe too many answers (broker/answers.py)


def encode_receipt(
    packet_id: int,
    devices: int,
    connections: int | None = None,
    trees: frozenset[str] = frozenset(),
    awaiting: int = 0,
    busy: int = 0,
) -> bytes:
    """Return the receipt payload for a routed publish."""
    text = f"{packet_id} {devices}"
    if connections is not None:
        text += f" c={connections} t={','.join(sorted(trees)) or NO_TREES}"
    if awaiting:
        text += f" w={awaiting}"
    if busy:
        text += f" b={busy}"
    return text.encode("ascii")


def decode_receipt(payload: bytes) -> Receipt:
    """Return the Receipt in a payload; raise ValueError if malformed."""
    parts = payload.split(b" ")
    if len(parts) == 2:  # the common case, once per webhook: a device got it, nobody answers (built without Python calls)
        return tuple.__new__(Receipt, (int(parts[0]), int(parts[1]), None, None, 0, 0))
    packet_id, devices, *extra = parts
    fields = dict(item.decode("ascii").split("=", 1) for item in extra)
    trees = fields.get("t")
    return Receipt(
        int(packet_id),
        int(devices),
        int(fields["c"]) if "c" in fields else None,
        None if trees is None else frozenset() if trees == NO_TREES else frozenset(trees.split(",")),
        int(fields.get("w", 0)),
        int(fields.get("b", 0)),
    )


def encode_reply(sequence: int, topic: str, payload: bytes) -> bytes:
    """Return the payload forwarding a clock's answer (on topic, under its prefix) to the publish numbered sequence."""
    return f"{sequence} {topic}\n".encode() + payload


def decode_reply(payload: bytes) -> tuple[int, str, bytes]:
    """Return (sequence, topic under the prefix, the clock's bytes); raise ValueError if malformed."""
    head, _, body = payload.partition(b"\n")
    sequence, topic = head.decode().split(" ", 1)
    return int(sequence), topic, body
