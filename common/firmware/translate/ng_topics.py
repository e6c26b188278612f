"""AWTRIX 3 -> AWTRIX NG topics: each AWTRIX 3 topic's NG command and the conversion of its body (fw-facts C4)."""

from common.firmware import awtrix_ng
from common.firmware.translate import ng_apps, ng_settings
from common.firmware.translate.base import Body, CannotTranslate, as_bool, as_int, as_string
from common.firmware.translate.colors import a3_color

# AWTRIX 3 topic -> NG topic, for the topics whose body is ignored or passes unchanged.
SAME_BODY = {
    "notify/dismiss": "cmd/notify/dismiss", "nextapp": "cmd/apps/next", "previousapp": "cmd/apps/previous",
    "sendscreen": awtrix_ng.SCREEN_GET, "reboot": "cmd/device/reboot",
}  # fmt: skip
NO_EQUIVALENT = {
    "r2d2": "NG plays no raw r2d2 tones", "doupdate": "NG has no self-update command",
    "apps": "NG orders apps with cmd/apps/order, which lists them all",
}  # fmt: skip


def to_ng(mode: str, body: Body) -> tuple[str, Body]:
    """Return (NG mode, NG body) for an AWTRIX 3 mode and body; raise CannotTranslate."""
    if mode in SAME_BODY:
        return SAME_BODY[mode], None
    if mode in NO_EQUIVALENT:
        raise CannotTranslate(mode, NO_EQUIVALENT[mode])
    if mode.startswith("custom/"):
        name = mode.removeprefix("custom/")
        return awtrix_ng.PUSHED + name, _pushed(body)
    if mode.startswith("indicator") and mode[-1:] in "123":
        return f"cmd/indicators/{mode[-1]}", _indicator(body)
    converters = {
        "notify": (awtrix_ng.NOTIFY, lambda value: ng_apps.app(_object(mode, value), notification=True)),
        "switch": ("cmd/apps/switch", _switch),
        "power": ("cmd/display", _power),
        "moodlight": ("cmd/display/moodlight", _moodlight),
        "sound": ("cmd/audio/play", _sound),
        "rtttl": ("cmd/audio/play", lambda value: {"rtttl": as_string(value)}),
        "sleep": ("cmd/device/sleep", _sleep),
        "settings": ("cmd/settings", lambda value: ng_settings.settings(_object(mode, value))),
    }
    if mode not in converters:
        raise CannotTranslate(mode, "has no AWTRIX NG equivalent")
    topic, convert = converters[mode]
    return topic, convert(body)


def _object(key: str, body: Body) -> dict[str, object]:
    if not isinstance(body, dict):
        raise CannotTranslate(key, "needs a JSON object")
    return body


def _pushed(body: Body) -> Body:
    if body is None or body == {}:
        return body  # deletes the app on both
    if isinstance(body, list):
        return [ng_apps.app(_object("custom", app), notification=False) for app in body]
    return ng_apps.app(_object("custom", body), notification=False)


def _indicator(body: Body) -> Body:
    """AWTRIX 3 resets blink and fade unless given, and reads black as off; NG keeps them, and reads null as off."""
    if body is None or body == {}:
        return body
    value = _object("indicator", body)
    out: dict[str, object] = {"blinkMs": as_int(value.get("blink", 0)), "fadeMs": as_int(value.get("fade", 0))}
    if "color" in value:
        color = a3_color(value["color"])
        if color is None:
            raise CannotTranslate("color", "AWTRIX 3 turns the indicator on in its text colour, which NG cannot name")
        out["color"] = f"#{color:06X}" if color else None
    return out


def _switch(body: Body) -> Body:
    value = _object("switch", body)
    out: dict[str, object] = {"name": as_string(value.get("name"))}
    if "fast" in value:
        out["fast"] = value["fast"] is True  # AWTRIX 3 reads only a JSON true as fast
    return out


def _power(body: Body) -> Body:
    value = _object("power", body)
    return {"power": as_bool(value["power"])} if "power" in value else {}


def _moodlight(body: Body) -> Body:
    if body is None:
        return None
    value = _object("moodlight", body)
    if "kelvin" not in value and "color" not in value:
        raise CannotTranslate("moodlight", "without kelvin or color AWTRIX 3 leaves the moodlight off; NG turns it on")
    out: dict[str, object] = {key: as_int(value[key]) for key in ("kelvin", "brightness") if key in value}
    if "color" in value and "kelvin" not in value:
        color = a3_color(value["color"])
        if color is None:
            raise CannotTranslate("color", "is not a colour AWTRIX 3 reads")
        out["color"] = f"#{color:06X}"
    return out


def _sound(body: Body) -> Body:
    value = _object("sound", body)
    if "sound" not in value:
        raise CannotTranslate("sound", "AWTRIX 3 plays nothing without a sound key")
    return {"sound": as_string(value["sound"])}


def _sleep(body: Body) -> Body:
    value = _object("sleep", body)
    if "sleep" not in value or as_int(value["sleep"]) <= 0:
        raise CannotTranslate("sleep", "NG sleeps only for a positive time; AWTRIX 3's sleep 0 waits for the button")
    return {"durationMs": as_int(value["sleep"]) * 1000}
