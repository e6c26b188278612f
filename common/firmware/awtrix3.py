"""AWTRIX 3 (awtrix-light firmware): the topics its clocks subscribe to under their prefix, and their limits.

From Blueforcer/awtrix3 src/MQTTManager.cpp and docs/api.md (shared/reference/awtrix-api.md §2).
"""

from common.firmware.spec import BodyRule, Field, FieldType, Firmware, Notifications

# PubSubClient built with MQTT_MAX_PACKET_SIZE=8192 (platformio.ini) drops bigger packets without a word.
MAX_PACKET_BYTES = 8192

# notify and custom/<app> take the same keys (docs/api.md "JSON Properties"); hold, stack and wakeup only notify reads.
NOTIFICATIONS = Notifications(
    modes=frozenset({"notify"}),
    named=True,
    fields={
        "text": Field("text", FieldType.TEXT),
        "icon": Field("icon", FieldType.TEXT),  # a file name in /ICONS on the clock, e.g. "36"
        "color": Field("color", FieldType.COLOR_HEX),
        "duration": Field("duration", FieldType.INTEGER),
        "repeat": Field("repeat", FieldType.INTEGER),
        "rainbow": Field("rainbow", FieldType.BOOLEAN),
        "progress": Field("progress", FieldType.INTEGER),
        "sound": Field("sound", FieldType.TEXT),
        "hold": Field("hold", FieldType.BOOLEAN),
        "stack": Field("stack", FieldType.BOOLEAN),
        "wakeup": Field("wakeup", FieldType.BOOLEAN),
    },
)

FIRMWARE = Firmware(
    name="awtrix3",
    modes={
        **dict.fromkeys(("notify", "switch", "settings", "power", "sound"), BodyRule.OBJECT),
        **dict.fromkeys(("notify/dismiss", "nextapp", "previousapp"), BodyRule.IGNORED),
        **dict.fromkeys(("indicator1", "indicator2", "indicator3", "moodlight"), BodyRule.OBJECT_OR_EMPTY),
        "rtttl": BodyRule.STRING,
        # Refused unless enabled: a sleeping clock cannot be woken remotely, doupdate flashes firmware,
        # apps (experimental) can scramble the app loop; it takes one {"name","show","pos"} object or an array.
        **dict.fromkeys(("reboot", "doupdate"), BodyRule.IGNORED),
        "sleep": BodyRule.OBJECT,
        "apps": BodyRule.OBJECTS,
    },
    dangerous=frozenset({"reboot", "doupdate", "sleep", "apps"}),
    named_prefix="custom/",
    named_rule=BodyRule.OBJECTS_OR_EMPTY,
    max_packet_bytes=MAX_PACKET_BYTES,
    notifications=NOTIFICATIONS,
)
