"""AWTRIX 2 (the host software the original AWTRIX Cloud served): the modes its recipes name.

No AWTRIX 2 clock connects to this relay; its modes and bodies come from recipes written for the
original cloud (shared/reference/awtrix-api.md §1), and are published under the same names.
"""

from common.firmware.spec import BodyRule, Firmware

FIRMWARE = Firmware(
    name="awtrix2",
    modes=dict.fromkeys(("basics", "notify", "draw", "app", "settings", "temporaryapp"), BodyRule.OBJECT),
)
