"""Translations between dialects: what maps to what, and what has no faithful equivalent (README "Your clock")."""

import pytest

from common.firmware import awtrix2, awtrix3, awtrix_ng
from common.firmware.ng_rules import keys_refusal
from common.firmware.translate import CannotTranslate, dialect_of, targets, translate

A2, A3, NG = awtrix2.FIRMWARE, awtrix3.FIRMWARE, awtrix_ng.FIRMWARE
SEED = {"force": True, "icon": 36, "text": "New mail from Alice", "color": [255, 255, 255]}


@pytest.mark.parametrize(
    ("mode", "body", "dialect"),
    [("notify", SEED, A2), ("notify", {"text": "x", "stack": False}, A3), ("settings", {"Brightness": 40}, A2),
     ("settings", {"BRI": 40}, A3), ("basics", {"power": True}, A2), ("cmd/notify", {"text": "x"}, NG)],
)  # fmt: skip
def test_dialect_is_read_from_the_mode_and_the_keys(mode: str, body: object, dialect: object) -> None:
    firmware = {"basics": A2, "cmd/notify": NG}.get(mode, A3)
    assert dialect_of(mode, firmware, body) is dialect


def test_awtrix2_goes_to_awtrix3_then_ng_and_awtrix3_to_ng_only() -> None:
    assert targets(A2) == (A3, NG)
    assert targets(A3) == (NG,)
    assert targets(NG) == ()


def test_the_seed_recipe_becomes_an_ng_notification_it_accepts() -> None:
    mode, body = translate("notify", SEED, A2, NG)
    assert (mode, body) == ("cmd/notify", {"stack": False, "icon": "36", "text": "New mail from Alice", "textColor": "#FFFFFF"})
    assert keys_refusal(mode, body) is None


@pytest.mark.parametrize(
    ("mode", "body", "target", "expected"),
    [
        ("basics", {"power": False}, A3, ("power", {"power": False})),
        ("basics", {"app": "next"}, A3, ("nextapp", None)),
        ("basics", {"app": "back"}, NG, ("cmd/apps/previous", None)),
        ("basics", {"switchTo": "Weather"}, NG, ("cmd/apps/switch", {"name": "Weather"})),
        ("basics", {"power": True}, NG, ("cmd/display", {"power": True})),
        ("app", {"text": "hi", "moveIcon": True, "repeatIcon": True}, A3, ("notify", {"text": "hi", "pushIcon": 2})),
        ("notify", {"multiColorText": [{"text": "a", "color": [1, 2, 3]}]}, A3,
         ("notify", {"text": [{"t": "a", "c": [1, 2, 3]}]})),
        ("notify", {"text": "x", "progressColor": [0, 255, 0], "barchart": [1, 2]}, A3,
         ("notify", {"text": "x", "progressC": [0, 255, 0], "bar": [1, 2]})),
        ("draw", {"draw": [{"type": "fill", "color": [0, 0, 40]}, {"type": "pixel", "position": [1, 2], "color": [255, 0, 0]},
                           {"type": "show"}, {"type": "exit"}]}, A3,
         ("notify", {"draw": [{"df": [0, 0, 32, 8, [0, 0, 40]]}, {"dp": [1, 2, [255, 0, 0]]}]})),
        ("draw", {"draw": [{"type": "bmp", "position": [0, 0], "size": [1, 1], "data": [0xF800]}]}, A3,
         ("notify", {"draw": [{"db": [0, 0, 1, 1, [0xFF0000]]}]})),
        ("temporaryapp", {"remove": "solar"}, A3, ("custom/solar", None)),
        ("temporaryapp", {"name": "solar", "text": "4 kW"}, NG, ("cmd/apps/pushed/solar", {"text": "4 kW"})),
        ("settings", {"Brightness": 40}, A3, ("settings", {"BRI": 102})),
    ],
)  # fmt: skip
def test_awtrix2_maps_to_the_newer_topics_and_keys(mode: str, body: object, target: object, expected: tuple) -> None:
    assert translate(mode, body, A2, target) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "body", "expected"),
    [
        ("notify", {"text": "x", "color": "#F80", "duration": 5, "pushIcon": 1, "textCase": 2},
         ("cmd/notify", {"text": "x", "textColor": "#000F80", "durationMs": 5000, "iconMode": "pushOnce",
                         "textCase": "asTyped"})),
        ("notify", {"text": [{"t": "a", "c": "FF0000"}, {"t": 5}], "rainbow": True, "repeat": -1},
         ("cmd/notify", {"text": [{"text": "a", "color": "#FF0000"}, {"text": "5"}], "palette": "Rainbow", "textColor": "palette",
                         "repeat": 0})),
        ("notify", {"text": "x", "noScroll": True, "scrollSpeed": 50, "pos": 3, "lifetime": 9},
         ("cmd/notify", {"text": "x", "scroll": {"mode": "static", "speed": 50}})),
        ("notify", {"draw": [{"dp": [1, 2, "#FF0000"], "dl": [0, 0, 5, 5, [0, 0, 255]]}]},
         ("cmd/notify", {"draw": [["pixel", 1, 2, "#FF0000"], ["line", 0, 0, 5, 5, "#0000FF"]]})),
        ("notify", {"color": "red"}, ("cmd/notify", {"textColor": "#000000"})),  # AWTRIX 3 draws "red" black
        ("custom/solar", {"text": 42, "icon": "sun", "lifetime": 60, "lifetimeMode": 1, "hold": True},
         ("cmd/apps/pushed/solar", {"text": "42", "icon": "sun", "lifetimeMs": 60000, "lifetimeExpiry": "mark"})),
        ("custom/solar", None, ("cmd/apps/pushed/solar", None)),
        ("custom/solar", [{"text": "a"}, {"text": "b"}], ("cmd/apps/pushed/solar", [{"text": "a"}, {"text": "b"}])),
        ("indicator1", {"color": [255, 0, 0]}, ("cmd/indicators/1", {"blinkMs": 0, "fadeMs": 0, "color": "#FF0000"})),
        ("indicator2", {"color": "0", "blink": 500}, ("cmd/indicators/2", {"blinkMs": 500, "fadeMs": 0, "color": None})),
        ("indicator3", None, ("cmd/indicators/3", None)),
        ("moodlight", {"brightness": 100, "kelvin": 2700}, ("cmd/display/moodlight", {"kelvin": 2700, "brightness": 100})),
        ("power", {"power": 1}, ("cmd/display", {"power": True})),
        ("switch", {"name": "Time", "fast": True}, ("cmd/apps/switch", {"name": "Time", "fast": True})),
        ("sound", {"sound": "alarm"}, ("cmd/audio/play", {"sound": "alarm"})),
        ("rtttl", "Beep:d=4,o=5,b=100:c", ("cmd/audio/play", {"rtttl": "Beep:d=4,o=5,b=100:c"})),
        ("nextapp", None, ("cmd/apps/next", None)),
        ("notify/dismiss", None, ("cmd/notify/dismiss", None)),
        ("sendscreen", None, ("cmd/screen/get", None)),
        ("settings", {"ATIME": 7, "TEFF": 1, "BRI": 9, "TIME_COL": 0, "WD": True, "WDCA": "#FFFFFF", "VOL": 15},
         ("cmd/settings", {"appDurationMs": 7000, "transitionEffect": "Slide", "brightness": 9, "timeColor": None,
                           "weekdayBar": {"show": True, "activeColor": "#FFFFFF"}, "buzzerVolume": 50, "dfplayerVolume": 50})),
    ],
)  # fmt: skip
def test_awtrix3_maps_to_ng(mode: str, body: object, expected: tuple) -> None:
    assert translate(mode, body, A3, NG) == expected


@pytest.mark.parametrize(
    ("dialect", "mode", "body", "target", "key"),
    [
        (A2, "notify", {"text": "x", "fallingText": True}, A3, "fallingText"),
        (A2, "notify", {"text": "x", "soundfile": 101}, NG, "soundfile"),
        (A2, "notify", {"text": "x", "scrollSpeed": 65}, A3, "scrollSpeed"),
        (A2, "notify", {"icon": [0, 1, 2]}, A3, "icon"),
        (A2, "basics", {"timer": "00:05:00"}, A3, "timer"),
        (A2, "basics", {"app": "pause"}, A3, "app"),
        (A2, "draw", {"draw": [{"type": "wait", "ms": 100}]}, A3, "draw wait"),
        (A2, "draw", {"draw": [], "repeat": 2}, A3, "repeat"),
        (A2, "temporaryapp", {"name": "solar", "lifetime": 3}, A3, "lifetime"),
        (A2, "settings", {"Timezone": 1}, A3, "Timezone"),
        (A3, "notify", {"text": "x", "topText": True}, NG, "topText"),
        (A3, "notify", {"effect": "Fade", "effectSettings": {"speed": 3}}, NG, "effectSettings"),
        (A3, "notify", {"draw": [{"dp": ["1", 2, "#FF0000"]}]}, NG, "draw dp"),
        (A3, "custom/solar", {"text": "x", "save": True}, NG, "save"),
        (A3, "custom/solar", {"text": "x", "barBC": "#000000"}, NG, "barBC"),
        (A3, "r2d2", "ABC", NG, "r2d2"),
        (A3, "indicator1", {"color": 5}, NG, "color"),
        (A3, "moodlight", {"brightness": 50}, NG, "moodlight"),
        (A3, "settings", {"TFORMAT": "%H:%M"}, NG, "TFORMAT"),
    ],
)
def test_what_has_no_faithful_equivalent_names_its_key(
    dialect: object, mode: str, body: object, target: object, key: str
) -> None:
    with pytest.raises(CannotTranslate) as caught:
        translate(mode, body, dialect, target)  # type: ignore[arg-type]
    assert caught.value.key == key


def test_there_is_no_translation_from_ng_back_to_awtrix3() -> None:
    with pytest.raises(CannotTranslate):
        translate("cmd/notify", {"text": "x"}, NG, A3)
