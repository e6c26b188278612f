"""Check a payload against the limits and the published rules of the firmware whose topic it goes to."""

import json

from common.firmware import Firmware, awtrix3, awtrix_ng, limits
from common.firmware.ng_rules import keys_refusal
from gateway.errors import BodyTooLarge, DeviceRejected, ExceedsFirmwareLimit


def check_fits(firmware: Firmware, mode: str, topic: str, payload: bytes) -> None:
    """Raise BodyTooLarge, ExceedsFirmwareLimit or DeviceRejected when the firmware's clock cannot take payload."""
    # AWTRIX 2 recipes are published as sent, where an AWTRIX 3 could read them: its packet limit holds for them too.
    packet_firmware = firmware if firmware.max_packet_bytes is not None else awtrix3.FIRMWARE
    packet = limits.packet_problem(packet_firmware, topic, payload)
    if packet is not None:
        raise BodyTooLarge(packet)
    other = limits.document_problem(firmware, mode, payload) or limits.text_problem(firmware, mode, payload)
    other = other or limits.depth_problem(firmware, payload)
    if other is not None:
        raise ExceedsFirmwareLimit(other)
    if firmware is awtrix_ng.FIRMWARE and payload:
        refusal = keys_refusal(mode, json.loads(payload))
        if refusal is not None:
            raise DeviceRejected(refusal.as_dict(), f"AWTRIX NG refuses this body by its published rules: {refusal.message}.")
