"""What a clock can hold: its packet size, the JSON document it parses a body into, its nesting limit, text lengths.

Each check returns a sentence naming the firmware's limit when the payload exceeds it, else None. The payload is
what the gateway publishes: compact JSON it produced itself (or a string's text), so it is always valid JSON.
"""

import json

from common.firmware.arduinojson import NESTING, deserialize
from common.firmware.spec import Firmware
from common.mqtt_codec import publish_packet_bytes

__all__ = ["NESTING", "depth_problem", "document_problem", "packet_problem", "surely_fitting_bytes", "text_problem"]

# ArduinoJson needs at most 8 bytes of pool per byte of JSON (a 16-byte slot per element takes 2 bytes of text,
# a string costs no more than its quoted text) plus room to build the longest string: a document of 9x the
# payload always fits, so the exact model runs only for large bodies.
_POOL_BYTES_PER_BYTE = 9


def surely_fitting_bytes(capacity: int) -> int:
    """Return the longest payload that fits a capacity-byte document whatever it holds (with at most 10 brackets)."""
    return (capacity - 16) // _POOL_BYTES_PER_BYTE


def packet_problem(firmware: Firmware, topic: str, payload: bytes) -> str | None:
    """Return why the MQTT packet carrying payload to topic is larger than the clock reads, or None."""
    limit = firmware.max_packet_bytes
    size = publish_packet_bytes(topic, payload)
    if limit is None or size <= limit:
        return None
    return f"The MQTT message would be {size} bytes; {firmware.title} clocks drop messages over {limit} bytes."


def document_problem(firmware: Firmware, mode: str, payload: bytes) -> str | None:
    """Return why the clock cannot parse payload into the document of mode (AWTRIX 3's ArduinoJson), or None."""
    capacity = firmware.document_of(mode)
    if capacity is None or not payload:
        return None
    if len(payload) * _POOL_BYTES_PER_BYTE + 16 <= capacity and payload.count(b"[") + payload.count(b"{") <= NESTING:
        return None
    error, used, _ = deserialize(payload, capacity)
    if error == "NoMemory":
        return (
            f"{firmware.title} parses {mode} into a {capacity}-byte JSON document and drops what does not fit; "
            f"this body needs more (it had used {used} bytes when the document ran out)."
        )
    if error == "TooDeep":
        return f"{firmware.title} reads at most {NESTING} nested objects and arrays; this body has more."
    return None


def depth_problem(firmware: Firmware, payload: bytes) -> str | None:
    """Return why the clock's JSON reader refuses payload for nesting (NG: 15 containers around a value), or None."""
    limit = firmware.max_value_depth
    if limit is None or not payload or payload.count(b"[") + payload.count(b"{") <= limit:
        return None
    if value_depth(json.loads(payload)) <= limit:
        return None
    return f"{firmware.title} reads at most {limit} objects and arrays around a value; this body has more."


def text_problem(firmware: Firmware, mode: str, payload: bytes) -> str | None:
    """Return why a text mode's payload is longer than the clock takes without harm (AWTRIX 3 r2d2), or None."""
    limit = firmware.text_limits.get(mode)
    if limit is None or len(payload) <= limit:
        return None
    return f"{firmware.title} plays {mode} one blocking tone per byte; more than {limit} bytes stall its connection."


def value_depth(value: object) -> int:
    """Return the most containers any value inside value sits in (a scalar at the root: 0)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def problems(firmware: Firmware, mode: str, topic: str, payload: bytes) -> tuple[str | None, str | None]:
    """Return (packet problem, other limit problem) of a payload for a mode of firmware; None where it fits."""
    other = document_problem(firmware, mode, payload) or depth_problem(firmware, payload)
    return packet_problem(firmware, topic, payload), other or text_problem(firmware, mode, payload)
