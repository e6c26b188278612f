"""AWTRIX 3 -> AWTRIX NG settings (NG's flow converter SETTINGS_MAP, fw-facts C3)."""

from common.firmware.translate.base import CannotTranslate, as_bool, as_int
from common.firmware.translate.colors import ng_color

TRANSITIONS = ("Random", "Slide", "Dim", "Zoom", "Rotate", "Pixelate", "Curtain", "Ripple", "Blink", "Reload", "Fade")
NUMBERS = {"TSPEED": "transitionDurationMs", "TMODE": "timeMode", "BRI": "brightness"}
BOOLEANS = {"ABRI": "autoBrightness", "ATRANS": "autoTransition", "CEL": "useCelsius", "BLOCKN": "blockNavigation",
            "UPPERCASE": "uppercase"}  # fmt: skip
COLORS = {"TCOL": "textColor", "CHCOL": "calendarHeaderColor", "CBCOL": "calendarBodyColor", "CTCOL": "calendarTextColor"}
APP_COLORS = {"TIME_COL": "timeColor", "DATE_COL": "dateColor", "TEMP_COL": "temperatureColor",
              "HUM_COL": "humidityColor", "BAT_COL": "batteryColor"}  # fmt: skip
WEEKDAY_BAR = {"WD": ("show", as_bool), "SOM": ("startOnMonday", as_bool)}
WEEKDAY_COLORS = {"WDCA": "activeColor", "WDCI": "inactiveColor"}
NO_EQUIVALENT = {
    "TFORMAT": "NG sets the time format with separate switches", "DFORMAT": "NG sets the date format with separate switches",
    "MATP": "NG switches the matrix with cmd/display", "OVERLAY": "NG sets the overlay with cmd/display",
    "SOUND": "NG has no such setting", "GAME": "NG has no game mode", "GAMEMODE": "NG has no game mode",
    "CCORRECTION": "AWTRIX 3 reads this colour its own way", "CTEMP": "AWTRIX 3 reads this colour its own way",
    **dict.fromkeys(("TIM", "DAT", "HUM", "TEMP", "BAT"), "NG hides native apps with cmd/apps/order"),
}  # fmt: skip


def settings(body: dict[str, object]) -> dict[str, object]:
    """Return NG settings for AWTRIX 3's; raise CannotTranslate for a key without an NG setting."""
    out: dict[str, object] = {}
    for key, value in body.items():
        if key in NO_EQUIVALENT:
            raise CannotTranslate(key, NO_EQUIVALENT[key])
        if key == "ATIME":
            out["appDurationMs"] = as_int(value) * 1000
        elif key == "TEFF":
            index = as_int(value)
            if not 0 <= index < len(TRANSITIONS):
                raise CannotTranslate(key, f"must be 0 to {len(TRANSITIONS) - 1}")
            out["transitionEffect"] = TRANSITIONS[index]
        elif key in NUMBERS:
            out[NUMBERS[key]] = as_int(value)
        elif key in BOOLEANS:
            out[BOOLEANS[key]] = as_bool(value)
        elif key in COLORS:
            out[COLORS[key]] = ng_color(key, value)
        elif key in APP_COLORS:
            out[APP_COLORS[key]] = None if value in (0, "0") else ng_color(key, value)  # 0: the app's own colour
        elif key in WEEKDAY_BAR:
            name, convert = WEEKDAY_BAR[key]
            out.setdefault("weekdayBar", {})[name] = convert(value)  # type: ignore[index]
        elif key in WEEKDAY_COLORS:
            out.setdefault("weekdayBar", {})[WEEKDAY_COLORS[key]] = ng_color(key, value)  # type: ignore[index]
        elif key == "SSPEED":
            out["scroll"] = {"speed": as_int(value)}
        elif key == "VOL":
            out["buzzerVolume"] = out["dfplayerVolume"] = round(min(max(as_int(value), 0), 30) * 100 / 30)
        elif key == "GAMMA":
            out["gamma"] = value
        else:
            raise CannotTranslate(key, "is not an AWTRIX 3 setting NG has")
    return out
