"""AWTRIX 2 (the host software the original AWTRIX Cloud served): the modes its recipes name.

No AWTRIX 2 clock connects to this relay; its modes and bodies come from recipes written for the
original cloud (shared/reference/awtrix-api.md §1). They are published under the same names, and
translated for an AWTRIX 3 or NG clock when nothing listens there (common/firmware/translate/).
"""

from common.firmware.spec import BodyRule, Field, FieldType, Firmware, Notifications

# Its notify keys (§1.5): icons are numbers from the icon database, colours [r, g, b], sounds DFPlayer file numbers.
# AWTRIX 3's table answers for the shared name "notify"; this one says what an AWTRIX 2 body would be.
NOTIFICATIONS = Notifications(
    modes=frozenset({"notify"}),
    named=frozenset(),
    fields={
        "text": Field("text", FieldType.TEXT),
        "icon": Field("icon", FieldType.INTEGER),
        "color": Field("color", FieldType.COLOR_RGB),
        "duration": Field("duration", FieldType.INTEGER),
        "repeat": Field("repeat", FieldType.INTEGER),
        "rainbow": Field("rainbow", FieldType.BOOLEAN),
        "progress": Field("progress", FieldType.INTEGER),
        "sound": Field("soundfile", FieldType.INTEGER),
    },
)

# Keys only AWTRIX 2 notifications have: a notify body holding one is read as AWTRIX 2, not AWTRIX 3.
ONLY_KEYS = frozenset(
    "force multiColorText fallingText moveIcon repeatIcon icon2 icon3 icon4 progressColor progressBackground "
    "soundfile play barchart linechart yeelight remove count".split()
)

FIRMWARE = Firmware(
    name="awtrix2",
    title="AWTRIX 2",
    modes=dict.fromkeys(("basics", "notify", "draw", "app", "settings", "temporaryapp"), BodyRule.OBJECT),
    notifications=NOTIFICATIONS,
)
