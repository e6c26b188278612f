"""AWTRIX 3 (awtrix-light 0.98): the topics its clocks subscribe to under their prefix, their bodies and limits.

From Blueforcer/awtrix3 src/MQTTManager.cpp, src/DisplayManager.cpp and docs/api.md (/work/fw-facts.md part A,
shared/reference/awtrix-api.md §2).
"""

from common.firmware.spec import BodyRule, Firmware

# PubSubClient built with MQTT_MAX_PACKET_SIZE=8192 (platformio.ini) drops bigger packets without a word.
MAX_PACKET_BYTES = 8192
# r2d2 plays one blocking 60 ms tone per byte: the clock then reads nothing, pings nobody. A broker closes a
# silent 15 s keep-alive connection after 22.5 s; a clock that was due to ping when the tones began has
# 7.5 s of slack, 125 tones. 120 leaves a margin.
MAX_R2D2_BYTES = 120
# The 24 SUBSCRIBEs of MQTTManager.cpp:382-406, in order (nextapp twice), each under the prefix.
SUBSCRIPTIONS = (
    "brightness", "notify/dismiss", "notify", "custom/#", "switch", "settings", "previousapp", "nextapp",
    "doupdate", "nextapp", "apps", "power", "sleep", "indicator1", "indicator2", "indicator3", "timeformat",
    "dateformat", "reboot", "moodlight", "sound", "rtttl", "sendscreen", "r2d2",
)  # fmt: skip
# Keys generateNotification reads (DisplayManager.cpp:755-1031); everything else it ignores.
NOTIFY_KEYS = frozenset(
    "progress progressC progressBC background draw effect effectSettings overlay loopSound center sound rtttl "
    "duration rainbow hold scrollSpeed wakeup pushIcon iconOffset textCase textOffset topText noScroll repeat "
    "fadeText blinkText gradient autoscale bar line barBC color text icon clients stack".split()
)
# Keys parseCustomPage reads (DisplayManager.cpp:426-753).
CUSTOM_KEYS = frozenset(
    "progress background save progressC progressBC autoscale bar line barBC draw effect effectSettings duration "
    "pos rainbow pushIcon textCase lifetime lifetimeMode bounce iconOffset textOffset scrollSpeed topText "
    "fadeText blinkText center noScroll overlay icon gradient color text repeat".split()
)
DRAW_COMMANDS = ("dp", "dl", "dr", "df", "dc", "dfc", "dt", "db")
# DynamicJsonDocument / StaticJsonDocument sizes per handler (fw-facts §A6); a body that needs more is dropped.
DOCUMENTS = {
    "notify": 6144, "custom/": 8192, "settings": 2048, "apps": 2048, "switch": 512, "moodlight": 512,
    "indicator1": 128, "indicator2": 128, "indicator3": 128, "power": 128, "sleep": 128, "sound": 128,
}  # fmt: skip

FIRMWARE = Firmware(
    name="awtrix3",
    title="AWTRIX 3",
    modes={
        **dict.fromkeys(("notify", "switch", "settings", "power", "sound"), BodyRule.OBJECT),
        **dict.fromkeys(("notify/dismiss", "nextapp", "previousapp", "sendscreen"), BodyRule.IGNORED),
        **dict.fromkeys(("indicator1", "indicator2", "indicator3", "moodlight"), BodyRule.OBJECT_OR_EMPTY),
        **dict.fromkeys(("rtttl", "r2d2"), BodyRule.STRING),
        # Refused unless enabled: a sleeping clock cannot be woken remotely, doupdate flashes firmware,
        # apps (experimental) can scramble the app loop; it takes one {"name","show","pos"} object or an array.
        **dict.fromkeys(("reboot", "doupdate"), BodyRule.IGNORED),
        "sleep": BodyRule.OBJECT,
        "apps": BodyRule.OBJECTS,
    },
    dangerous=frozenset({"reboot", "doupdate", "sleep", "apps"}),
    named={"custom/": BodyRule.OBJECTS_OR_EMPTY},
    max_packet_bytes=MAX_PACKET_BYTES,
    documents=DOCUMENTS,
    text_limits={"r2d2": MAX_R2D2_BYTES},
    listens=frozenset(SUBSCRIPTIONS),
    # sendscreen is answered on <prefix>/screen with the 256 pixels (MQTTManager.cpp:89-93); nothing else is.
    replies={"sendscreen": ("screen",)},
    # Subscribed and never handled (MQTTManager.cpp:211-222): a publish there reaches a clock and does nothing.
    probe="timeformat",
)
