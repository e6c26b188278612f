"""AWTRIX 3 -> AWTRIX NG for notifications and custom apps (NG's migration guide and flow converter, fw-facts C1, C2).

Keys AWTRIX 3 itself ignores on a topic are dropped (the clock would not show them); keys it reads are renamed
and their values converted (seconds to milliseconds, numbers to words, colours to "#RRGGBB" as AWTRIX 3 draws
them, draw objects to arrays); what NG cannot show the same way raises CannotTranslate.
"""

from common.firmware import awtrix3
from common.firmware.translate.base import CannotTranslate, as_bool, as_int, as_string, choice, number
from common.firmware.translate.colors import a3_color, ng_color

RENAMED = {"textOffset": "textOffsetX", "center": "textCenter", "blinkText": "textBlinkMs", "fadeText": "textFadeMs",
           "progress": "progress", "effect": "effect", "rtttl": "soundRtttl", "loopSound": "soundLoop",
           "autoscale": "chartAutoscale"}  # fmt: skip
COLORS = {"color": "textColor", "background": "backgroundColor", "progressC": "progressColor",
          "progressBC": "progressTrackColor"}  # fmt: skip
BOOLEANS = {"hold": "hold", "stack": "stack", "wakeup": "wakeup"}
NO_EQUIVALENT = {
    "topText": "NG has no top-aligned text; use a draw text command", "barBC": "NG charts have no bar background",
    "pos": "NG orders apps with cmd/apps/order", "save": "NG keeps pushed apps in memory only",
    "bounce": "NG has no bouncing text", "iconOffset": "NG has no icon offset",
}  # fmt: skip
TEXT_CASES = ("inherit", "upper", "asTyped")
ICON_MODES = ("fixed", "pushOnce", "push")
LIFETIME_MODES = ("remove", "mark")
NG_DRAW = ("pixel", "line", "rect", "rectFill", "circle", "circleFill", "text", "bitmap")
DRAW_NAMES = dict(zip(awtrix3.DRAW_COMMANDS, NG_DRAW, strict=True))
DRAW_COLOR_AT = {"dp": 2, "dl": 4, "dr": 4, "df": 4, "dc": 3, "dfc": 3, "dt": 3}


def app(body: dict[str, object], notification: bool) -> dict[str, object]:
    """Return the NG notification (or pushed app) for an AWTRIX 3 notify (or custom app) body."""
    known = awtrix3.NOTIFY_KEYS | {"name"} if notification else awtrix3.CUSTOM_KEYS
    out: dict[str, object] = {}
    for key, value in body.items():
        if key not in known or key == "clients":
            continue  # AWTRIX 3 ignores it here (clients: the relay's broker refuses the forwards anyway)
        if key in NO_EQUIVALENT:
            raise CannotTranslate(key, NO_EQUIVALENT[key])
        _take(out, key, value, notification)
    if out.get("textColor") == "palette" and "palette" not in out:
        del out["textColor"]
    return out


def _take(out: dict[str, object], key: str, value: object, notification: bool) -> None:
    if key in RENAMED:
        out[RENAMED[key]] = value
    elif key in COLORS:
        if a3_color(value) is not None:  # else AWTRIX 3 uses the default colour: so does NG without the key
            out.setdefault(COLORS[key], ng_color(key, value))
    elif key in BOOLEANS:
        out[BOOLEANS[key]] = as_bool(value)
    elif key == "text":
        _text(out, value, notification)
    elif key == "icon":
        if value is not None:
            out["icon"] = as_string(value)  # AWTRIX 3 reads "icon":36 as "36"; NG ignores numbers
    elif key == "textCase":
        out["textCase"] = choice(key, value, TEXT_CASES)
    elif key == "pushIcon":
        out["iconMode"] = choice(key, value, ICON_MODES)
    elif key in ("duration", "lifetime"):
        out[f"{key}Ms"] = as_int(number(key, value)) * 1000
    elif key == "lifetimeMode":
        out["lifetimeExpiry"] = choice(key, value, LIFETIME_MODES)
    elif key == "repeat":
        out["repeat"] = max(0, as_int(number(key, value)))  # AWTRIX 3's -1 (use the duration) is NG's 0
    elif key in ("bar", "line"):
        out[f"{key}Chart"] = _chart(key, value)
    elif key in ("sound",):
        out["sound"] = as_string(value)
    else:
        _effects(out, key, value)


def _effects(out: dict[str, object], key: str, value: object) -> None:
    if key == "rainbow":
        if as_bool(value):
            out["palette"], out["textColor"] = "Rainbow", "palette"
    elif key == "gradient":
        if isinstance(value, list) and len(value) == 2:  # AWTRIX 3 ignores anything else
            out.setdefault("palette", [ng_color(key, color) for color in value])
            out["textColor"] = "palette"
    elif key == "noScroll":
        if as_bool(value):
            out.setdefault("scroll", {})["mode"] = "static"  # type: ignore[index]
    elif key == "scrollSpeed":
        out.setdefault("scroll", {})["speed"] = as_int(number(key, value))  # type: ignore[index]
    elif key == "effectSettings":
        _effect_settings(out, value)
    elif key == "overlay":
        out["overlay"] = "" if isinstance(value, str) and value.lower() == "clear" else value
    elif key == "draw":
        out["draw"] = draw(value)


def _text(out: dict[str, object], value: object, notification: bool) -> None:
    if isinstance(value, list):
        out["text"] = [_fragment(part) for part in value]
    elif isinstance(value, str):
        out["text"] = value
    elif not notification:
        out["text"] = as_string(value)  # a custom app shows a number as text; a notification shows nothing


def _fragment(part: object) -> dict[str, object]:
    if not isinstance(part, dict):
        raise CannotTranslate("text", "fragments must be {t, c} objects")
    fragment: dict[str, object] = {"text": as_string(part.get("t"))}
    if "c" in part:
        fragment["color"] = ng_color("text", part["c"])
    return fragment


def _chart(key: str, value: object) -> list[int]:
    if not isinstance(value, list):
        raise CannotTranslate(key, "must be a list of numbers")
    return [as_int(point) for point in value[:16]]


def _effect_settings(out: dict[str, object], value: object) -> None:
    if not isinstance(value, dict):
        return
    if "speed" in value:
        raise CannotTranslate("effectSettings", "AWTRIX 3's effect speed and NG's speed multiplier differ")
    if "palette" in value:
        out.setdefault("palette", value["palette"])
    if "blend" in value:
        out["paletteBlend"] = as_bool(value["blend"])


def draw(value: object) -> list[list[object]]:
    """Return NG draw arrays (["pixel", x, y, color], ...) for AWTRIX 3's draw objects ({"dp": [x, y, color]})."""
    if not isinstance(value, list):
        raise CannotTranslate("draw", "must be a list of draw objects")
    commands: list[list[object]] = []
    for item in value:
        if not isinstance(item, dict):
            raise CannotTranslate("draw", "every draw command must be an object")
        for name, args in item.items():  # AWTRIX 3 runs every key of an object, in order
            commands.append(_draw_command(name, args))
    return commands


def _draw_command(name: str, args: object) -> list[object]:
    if name not in DRAW_NAMES or not isinstance(args, list):
        raise CannotTranslate(f"draw {name}", "has no NG equivalent")
    args = list(args)
    if name == "db":
        if len(args) != 5 or not isinstance(args[4], list):
            raise CannotTranslate("draw db", "needs x, y, width, height and a list of colours")
        width, height = as_int(args[2]), as_int(args[3])
        args[4] = (args[4] + [0] * (width * height))[: width * height]  # AWTRIX 3 draws missing pixels black
    else:
        at = DRAW_COLOR_AT[name]
        if len(args) != at + 1:
            raise CannotTranslate(f"draw {name}", f"needs {at} numbers and a colour")
        args[at] = ng_color(f"draw {name}", args[at])
    coordinates = args[:4] if name in ("dl", "dr", "df", "db") else args[:3] if name in ("dc", "dfc") else args[:2]
    if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in coordinates):
        raise CannotTranslate(f"draw {name}", "coordinates must be numbers")
    return [DRAW_NAMES[name], *args]
