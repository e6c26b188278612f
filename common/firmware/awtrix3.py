"""AWTRIX 3 (awtrix-light firmware): the topics its clocks subscribe to under their prefix, and their limits.

From Blueforcer/awtrix3 src/MQTTManager.cpp and docs/api.md (shared/reference/awtrix-api.md §2).
"""

from common.firmware.spec import BodyRule, Firmware

# PubSubClient built with MQTT_MAX_PACKET_SIZE=8192 (platformio.ini) drops bigger packets without a word.
MAX_PACKET_BYTES = 8192

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
)
