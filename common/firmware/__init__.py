"""What each AWTRIX firmware listens to and accepts, for the gateway and the broker alike: one module a firmware.

Adding a firmware is adding a module with its FIRMWARE table and listing it in FIRMWARES (and, for a clock
that can be driven in another dialect, its translation in common/firmware/translate/).
"""

from common.firmware import awtrix2, awtrix3, awtrix_ng
from common.firmware.spec import NAME, OTHER, BodyRule, Firmware

FIRMWARES: tuple[Firmware, ...] = (awtrix3.FIRMWARE, awtrix_ng.FIRMWARE, awtrix2.FIRMWARE)
BY_NAME: dict[str, Firmware] = {firmware.name: firmware for firmware in FIRMWARES}
# The firmwares whose clocks connect to the broker (AWTRIX 2 hosts never do).
CLOCKS: tuple[Firmware, ...] = tuple(firmware for firmware in FIRMWARES if firmware.listens)

__all__ = ["BY_NAME", "CLOCKS", "FIRMWARES", "NAME", "OTHER", "BodyRule", "Firmware"]
