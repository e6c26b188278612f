"""Check a payload against the limits and the published rules of the firmware whose topic it goes to."""

import json

from common.firmware import Firmware, awtrix3, awtrix_ng, limits
from common.firmware.ng_rules import keys_refusal
from common.mqtt_codec import publish_packet_bytes
from gateway.errors import BodyTooLarge, DeviceRejected, ExceedsFirmwareLimit

_UNLIMITED = 1 << 30
_KEPT = 1024
# (firmware, mode) -> (the longest payload, the most brackets) that surely fit every limit but the packet's
_SURELY_FITS: dict[tuple[str, str], tuple[int, int]] = {}


def check_fits(firmware: Firmware, mode: str, topic: str, payload: bytes) -> None:
    """Raise BodyTooLarge, ExceedsFirmwareLimit or DeviceRejected when the firmware's clock cannot take payload."""
    # AWTRIX 2 recipes are published as sent, where an AWTRIX 3 could read them: its packet limit holds for them too.
    packet_firmware = firmware if firmware.max_packet_bytes is not None else awtrix3.FIRMWARE
    if publish_packet_bytes(topic, payload) > packet_firmware.max_packet_bytes:  # type: ignore[operator]
        raise BodyTooLarge(limits.packet_problem(packet_firmware, topic, payload))
    longest, brackets = _SURELY_FITS.get((firmware.name, mode)) or _surely_fits(firmware, mode)
    if len(payload) <= longest and payload.count(b"[") + payload.count(b"{") <= brackets:
        if firmware is not awtrix_ng.FIRMWARE or not payload:
            return  # the common case, decided without parsing anything again
    other = limits.document_problem(firmware, mode, payload) or limits.text_problem(firmware, mode, payload)
    other = other or limits.depth_problem(firmware, payload)
    if other is not None:
        raise ExceedsFirmwareLimit(other)
    if firmware is awtrix_ng.FIRMWARE and payload:
        refusal = keys_refusal(mode, json.loads(payload))
        if refusal is not None:
            raise DeviceRejected(refusal.as_dict(), f"AWTRIX NG refuses this body by its published rules: {refusal.message}.")


def _surely_fits(firmware: Firmware, mode: str) -> tuple[int, int]:
    """Return the longest payload and the most brackets that fit mode's document, text and nesting limits."""
    key = (firmware.name, mode)
    found = _SURELY_FITS.get(key)
    if found is None:
        capacity, text = firmware.document_of(mode), firmware.text_limits.get(mode)
        longest = min(limits.surely_fitting_bytes(capacity) if capacity else _UNLIMITED, _UNLIMITED if text is None else text)
        brackets = min(limits.NESTING if capacity else _UNLIMITED, firmware.max_value_depth or _UNLIMITED)
        if len(_SURELY_FITS) >= _KEPT:
            _SURELY_FITS.clear()
        found = _SURELY_FITS[key] = (longest, brackets)
    return found
