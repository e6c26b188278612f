"""AWTRIX NG 1.1.0 (Blueforcer/awtrix-ng): its command topics under <prefix>/cmd/, their bodies, limits and replies.

From NG's src/core/api/ApiRouter.cpp, src/core/Dispatcher.cpp, src/core/payload/PayloadParser.cpp and
docs/reference/mqtt.md (/work/fw-facts.md part B, shared/reference/awtrix-ng.md). Every command NG routes is
answered on <command topic>/result with {"ok":true} or {"ok":false,"error":{"code","message","field"?}}.
"""

from common.firmware.spec import BodyRule, Firmware

# The same PubSubClient 2.8 with setBufferSize(8192): the whole packet, not the payload (fw-facts §B3).
MAX_PACKET_BYTES = 8192
# JsonReader::skipValue fails when entered at depth >= 16: a value may sit inside at most 15 containers (§B6).
MAX_VALUE_DEPTH = 15
NOTIFY = "cmd/notify"
PUSHED = "cmd/apps/pushed/"
DISMISS_NAMED = "cmd/notify/dismiss/"
SCREEN_GET = "cmd/screen/get"
RESULT = "/result"
# PayloadParser.cpp:26-39: the keys a pushed app takes, and the 7 more a notification takes.
SHARED_KEYS = (
    "text", "textCase", "font", "textInFront", "textCenter", "textColor", "textBlinkMs", "textFadeMs",
    "textOffsetX", "backgroundColor", "icon", "iconMode", "iconOffsetX", "durationMs", "scroll", "repeat",
    "lifetimeMs", "lifetimeExpiry", "palette", "paletteBlend", "paletteSpan", "paletteSpeed", "barChart",
    "lineChart", "chartAutoscale", "chartColor", "progress", "progressColor", "progressTrackColor", "effect",
    "effectSpeed", "overlay", "draw",
)  # fmt: skip
NOTIFY_ONLY_KEYS = ("name", "hold", "stack", "wakeup", "sound", "soundRtttl", "soundLoop")
APP_KEYS = frozenset(SHARED_KEYS)
NOTIFY_KEYS = frozenset(SHARED_KEYS + NOTIFY_ONLY_KEYS)
# Settings.cpp:76-116: 39 flat keys, plus the scroll and weekdayBar objects.
SETTINGS_KEYS = frozenset(
    "autoBrightness brightness autoTransition textColor transitionEffect transitionDurationMs appDurationMs "
    "timeMode calendarHeaderColor calendarTextColor calendarBodyColor time24h timeLeadingZero timeShowSeconds "
    "timeShowAmPm timeSeparatorMode dateOrder dateSeparator dateYearMode dateShowWeekday dateMonthNames "
    "useCelsius blockNavigation soundEnabled uppercase timeColor dateColor humidityColor temperatureColor "
    "batteryColor buzzerVolume dfplayerVolume mp3Volume radioVolume radioMeta saturation gamma colorCorrection "
    "colorTint scroll weekdayBar".split()
)
AUDIO_SOURCES = ("sound", "mp3", "melody", "track", "rtttl", "station", "index", "url")
DRAW_ARGS = {"pixel": 2, "line": 4, "rect": 4, "rectFill": 4, "circle": 3, "circleFill": 3, "text": 3, "bitmap": 5}
# Routed by NG and ignored by it (no route, no result): the gateway probes for an NG clock here.
PROBE = "cmd/relay-probe"

FIRMWARE = Firmware(
    name="awtrix-ng",
    title="AWTRIX NG",
    modes={
        **dict.fromkeys((NOTIFY, "cmd/apps/switch", "cmd/apps/order", "cmd/settings", "cmd/display"), BodyRule.OBJECT),
        **dict.fromkeys(("cmd/audio/play", "cmd/audio/stations", "cmd/device/sleep"), BodyRule.OBJECT),
        **dict.fromkeys(("cmd/display/moodlight", "cmd/audio/stop"), BodyRule.OBJECT_OR_EMPTY),
        **dict.fromkeys(("cmd/indicators/1", "cmd/indicators/2", "cmd/indicators/3"), BodyRule.OBJECT_OR_EMPTY),
        **dict.fromkeys(("cmd/notify/dismiss", "cmd/apps/next", "cmd/apps/previous", SCREEN_GET), BodyRule.IGNORED),
        **dict.fromkeys(("cmd/device/reboot", "cmd/settings/reset"), BodyRule.IGNORED),
    },
    # reboot and reset restart the clock (reset also wipes its settings); a sleeping clock is gone until its
    # timer; stations rewrites the radio list it keeps in flash.
    dangerous=frozenset({"cmd/device/reboot", "cmd/device/sleep", "cmd/settings/reset", "cmd/audio/stations"}),
    named={DISMISS_NAMED: BodyRule.IGNORED, PUSHED: BodyRule.OBJECTS_OR_EMPTY},
    # NG takes cmd/notify/dismiss/result for the echo of its own reply (ApiRouter.cpp:546-555) and never runs it.
    reserved_names=frozenset({"result"}),
    max_packet_bytes=MAX_PACKET_BYTES,
    max_value_depth=MAX_VALUE_DEPTH,
    listens=frozenset({"cmd/#"}),
    result_suffix=RESULT,
    # screen/get publishes <prefix>/state/screen before its {"ok":true} (Dispatcher.cpp:344-346).
    replies={SCREEN_GET: ("state/screen",)},
    probe=PROBE,
)
# What NG publishes retained (MqttService.cpp:44-72): the gateway clears these on Mosquitto once it goes offline.
RETAINED_TOPICS = (
    "availability", "state/capabilities", "state/prefix", "state/apps/active", "state/buttons/left",
    "state/buttons/select", "state/buttons/right", "state/settings", "state/audio", "state/device",
)  # fmt: skip
AVAILABILITY = "availability"
