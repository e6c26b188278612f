"""AWTRIX 2 -> AWTRIX 3: the original cloud's modes and bodies (shared/reference/awtrix-api.md §1, §4.2; fw-facts E).

AWTRIX 2's notify keys mostly have AWTRIX 3 twins; what depends on the AWTRIX 2 host (its icon database numbers
for sounds, falling text, Yeelight, four icons, scroll speed in milliseconds, loop-pass lifetimes, animation) has
none. basics becomes the power, switch, nextapp and previousapp topics, draw a notification drawing one frame,
temporaryapp a custom app.
"""

from common.firmware import NAME, awtrix2
from common.firmware.translate.base import Body, CannotTranslate, as_bool

RENAMED = {
    "text": "text", "color": "color", "duration": "duration", "repeat": "repeat", "count": "repeat",
    "rainbow": "rainbow", "progress": "progress", "progressColor": "progressC", "progressBackground": "progressBC",
    "barchart": "bar", "linechart": "line", "icon": "icon", "name": "name",
}  # fmt: skip
NO_EQUIVALENT = {
    "fallingText": "AWTRIX 3 has no falling text",
    "icon2": "AWTRIX 3 shows one icon", "icon3": "AWTRIX 3 shows one icon", "icon4": "AWTRIX 3 shows one icon",
    "soundfile": "AWTRIX 2 sound numbers name files of its host, not of the clock",
    "play": "AWTRIX 2 sound numbers name files of its host, not of the clock",
    "yeelight": "AWTRIX 3 drives no Yeelight",
    "scrollSpeed": "AWTRIX 2 counts milliseconds per step, AWTRIX 3 a percentage of its own speed",
    "remove": "AWTRIX 3 can only dismiss the notification on screen",
    "lifetime": "AWTRIX 2 counts passes of the app loop, AWTRIX 3 seconds without an update",
}  # fmt: skip
BASICS = {"power": "power", "switchTo": "switch", "app": "app"}
APP_STEPS = {"next": "nextapp", "back": "previousapp"}
# A2 draw command -> (AWTRIX 3 draw command, the fields giving its arguments in order)
DRAW = {
    "fill": ("df", ()), "pixel": ("dp", ("position",)), "line": ("dl", ("start", "end")),
    "circle": ("dc", ("position", "radius")), "text": ("dt", ("position", "string")), "bmp": ("db", ("position", "size")),
}  # fmt: skip
DRAW_ENDS = ("show", "exit")


def written_for_awtrix2(mode: str, body: dict[str, object]) -> bool:
    """Return True when a body for a mode both share (notify, settings) uses AWTRIX 2's keys."""
    if mode == "settings":
        return any(not key.isupper() for key in body)  # AWTRIX 3's settings keys are ATIME, TIME_COL, ...
    return not awtrix2.ONLY_KEYS.isdisjoint(body)


def to_awtrix3(mode: str, body: Body) -> tuple[str, Body]:
    """Return (mode, body) for AWTRIX 3; raise CannotTranslate."""
    if not isinstance(body, dict):
        raise CannotTranslate(mode, "needs a JSON object")
    if mode in ("notify", "app"):
        return "notify", notification(body)
    if mode == "basics":
        return basics(body)
    if mode == "draw":
        return "notify", drawing(body)
    if mode == "temporaryapp":
        return temporary_app(body)
    if mode == "settings":
        return "settings", settings(body)
    raise CannotTranslate(mode, "has no AWTRIX 3 equivalent")


def notification(body: dict[str, object]) -> dict[str, object]:
    """Return an AWTRIX 3 notify body for an AWTRIX 2 notification."""
    out: dict[str, object] = {}
    for key, value in body.items():
        if key in NO_EQUIVALENT:
            raise CannotTranslate(key, NO_EQUIVALENT[key])
        if key == "force":
            if as_bool(value):
                out["stack"] = False  # replace what is on screen rather than queue behind it
        elif key in ("moveIcon", "repeatIcon"):
            if as_bool(body.get("moveIcon")):
                out["pushIcon"] = 2 if as_bool(body.get("repeatIcon")) else 1
        elif key == "multiColorText":
            out["text"] = fragments(value)
        elif key == "icon" and isinstance(value, list):
            raise CannotTranslate(key, "AWTRIX 3 has no pixel-array icons")
        elif key in RENAMED:
            out.setdefault(RENAMED[key], value)
        else:
            out[key] = value  # an AWTRIX 3 key, or one it ignores
    return out


def fragments(value: object) -> list[dict[str, object]]:
    """Return AWTRIX 3 text fragments ({"t","c"}) for AWTRIX 2's multiColorText ({"text","color"})."""
    if not isinstance(value, list) or not all(isinstance(part, dict) for part in value):
        raise CannotTranslate("multiColorText", "must be a list of {text, color} objects")
    return [{"t": part.get("text", ""), **({"c": part["color"]} if "color" in part else {})} for part in value]


def basics(body: dict[str, object]) -> tuple[str, Body]:
    """Return the AWTRIX 3 topic and body of one basics command."""
    commands = [key for key in body if key in BASICS] or list(body)[:1]
    if len(commands) != 1 or commands[0] not in BASICS or len(body) != 1:
        raise CannotTranslate(commands[0] if commands else "basics", "has no AWTRIX 3 equivalent; one of power, switchTo, app")
    key, value = commands[0], body[commands[0]]
    if key == "power":
        return "power", {"power": as_bool(value)}
    if key == "switchTo":
        if not isinstance(value, str):
            raise CannotTranslate(key, "must name an app")
        return "switch", {"name": value}
    if value not in APP_STEPS:
        raise CannotTranslate(key, "only next and back have AWTRIX 3 equivalents")
    return APP_STEPS[value], None  # type: ignore[index]


def drawing(body: dict[str, object]) -> dict[str, object]:
    """Return an AWTRIX 3 notify drawing one frame for AWTRIX 2's draw commands (show or exit may end them)."""
    extra = next((key for key in body if key != "draw"), None)
    if extra is not None:
        raise CannotTranslate(extra, "AWTRIX 3 draws one frame, without repetitions")
    commands = body.get("draw")
    if not isinstance(commands, list) or not all(isinstance(command, dict) for command in commands):
        raise CannotTranslate("draw", "must be a list of command objects")
    while commands and commands[-1].get("type") in DRAW_ENDS:
        commands = commands[:-1]
    return {"draw": [draw_command(command) for command in commands]}


def draw_command(command: dict[str, object]) -> dict[str, object]:
    """Return one AWTRIX 3 draw object ({"dp":[...]}) for one AWTRIX 2 draw command."""
    kind = command.get("type")
    if kind not in DRAW:
        raise CannotTranslate(f"draw {kind}", "has no AWTRIX 3 equivalent in one static frame")
    name, fields = DRAW[kind]  # type: ignore[index]
    args: list[object] = []
    for field in fields:
        value = command.get(field)
        args += value if isinstance(value, list) else [value]
    if kind == "fill":
        args = [0, 0, 32, 8]
    if kind == "bmp":
        args.append([rgb888(pixel) for pixel in command.get("data", [])])  # type: ignore[union-attr]
    else:
        args.append(command.get("color"))
    if any(arg is None for arg in args):
        raise CannotTranslate(f"draw {kind}", f"needs {', '.join((*fields, 'color'))}")
    return {name: args}


def rgb888(pixel: object) -> int:
    """Return the 0xRRGGBB of an RGB565 pixel, as AWTRIX 3's db takes it."""
    if isinstance(pixel, bool) or not isinstance(pixel, int) or not 0 <= pixel <= 0xFFFF:
        raise CannotTranslate("draw bmp", "pixels must be RGB565 numbers")
    red, green, blue = pixel >> 11 & 0x1F, pixel >> 5 & 0x3F, pixel & 0x1F
    return (red * 255 // 31) << 16 | (green * 255 // 63) << 8 | blue * 255 // 31


def temporary_app(body: dict[str, object]) -> tuple[str, Body]:
    """Return the custom/<name> topic and app body for a temporaryapp ({"remove":name} deletes it)."""
    if set(body) == {"remove"}:
        name = body["remove"]
        if not isinstance(name, str) or NAME.fullmatch(name) is None:
            raise CannotTranslate("remove", "must be an app name of 1 to 32 of A-Z a-z 0-9 _ -")
        return f"custom/{name}", None
    name = body.get("name")
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise CannotTranslate("name", "must be an app name of 1 to 32 of A-Z a-z 0-9 _ -")
    app = notification({key: value for key, value in body.items() if key != "name"})
    if "stack" in app:
        raise CannotTranslate("force", "an AWTRIX 3 custom app has no place in the notification queue")
    return f"custom/{name}", app


def settings(body: dict[str, object]) -> dict[str, object]:
    """Return AWTRIX 3 settings for AWTRIX 2's (only Brightness, 0-100 %, has a known twin: BRI, 0-255)."""
    out: dict[str, object] = {}
    for key, value in body.items():
        if key != "Brightness" or isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise CannotTranslate(key, "has no known AWTRIX 3 setting (Brightness 0-100 has: BRI)")
        out["BRI"] = round(value * 255 / 100)
    return out
