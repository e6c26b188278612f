"""What each AWTRIX firmware listens to and accepts, for the gateway and the broker alike: one module a firmware.

Adding a firmware is adding a module with its FIRMWARE table and listing it in FIRMWARES.
"""

from common.firmware import awtrix2, awtrix3
from common.firmware.spec import NAME, BodyRule, Field, FieldType, Firmware, Notifications

FIRMWARES: tuple[Firmware, ...] = (awtrix3.FIRMWARE, awtrix2.FIRMWARE)

__all__ = ["FIRMWARES", "NAME", "BodyRule", "Field", "FieldType", "Firmware", "Notifications"]
