"""AWTRIX 2 (the host software the original AWTRIX Cloud served): the modes its recipes name.

No AWTRIX 2 clock connects to this relay; its modes and bodies come from recipes written for the
original cloud (shared/reference/awtrix-api.md §1). They are published under the same names, and
translated for an AWTRIX 3 or NG clock when nothing listens there (common/firmware/translate/).
"""

from common.firmware.spec import BodyRule, Firmware

# Keys only AWTRIX 2 notifications have: a notify body holding one is read as AWTRIX 2, not AWTRIX 3.
ONLY_KEYS = frozenset(
    "force multiColorText fallingText moveIcon repeatIcon icon2 icon3 icon4 progressColor progressBackground "
    "soundfile play barchart linechart yeelight remove count".split()
)

FIRMWARE = Firmware(
    name="awtrix2",
    title="AWTRIX 2",
    modes=dict.fromkeys(("basics", "notify", "draw", "app", "settings", "temporaryapp"), BodyRule.OBJECT),
)
