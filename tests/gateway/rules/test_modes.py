"""The mode allow-list: which modes pass, the body rule of each, and why others are refused."""

import pytest

from gateway.errors import ApiError
from gateway.rules.modes import (
    AWTRIX2_MODES,
    AWTRIX3_MODES,
    DANGEROUS_MODES,
    NAMED_PREFIXES,
    NG_MODES,
    BodyRule,
    allowed_modes,
    resolve_mode,
)

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("basics", BodyRule.OBJECT),
        ("notify", BodyRule.OBJECT),
        ("draw", BodyRule.OBJECT),
        ("app", BodyRule.OBJECT),
        ("settings", BodyRule.OBJECT),
        ("temporaryapp", BodyRule.OBJECT),
        ("switch", BodyRule.OBJECT),
        ("power", BodyRule.OBJECT),
        ("sound", BodyRule.OBJECT),
        ("notify/dismiss", BodyRule.IGNORED),
        ("nextapp", BodyRule.IGNORED),
        ("previousapp", BodyRule.IGNORED),
        ("indicator1", BodyRule.OBJECT_OR_EMPTY),
        ("indicator2", BodyRule.OBJECT_OR_EMPTY),
        ("indicator3", BodyRule.OBJECT_OR_EMPTY),
        ("moodlight", BodyRule.OBJECT_OR_EMPTY),
        ("rtttl", BodyRule.STRING),
        ("custom/solar", BodyRule.OBJECTS_OR_EMPTY),
        ("custom/My_App-2", BodyRule.OBJECTS_OR_EMPTY),
        ("custom/" + "a" * 32, BodyRule.OBJECTS_OR_EMPTY),
        ("r2d2", BodyRule.STRING),
        ("sendscreen", BodyRule.IGNORED),
        ("cmd/notify", BodyRule.OBJECT),
        ("cmd/notify/dismiss", BodyRule.IGNORED),
        ("cmd/notify/dismiss/door", BodyRule.IGNORED),
        ("cmd/apps/pushed/solar", BodyRule.OBJECTS_OR_EMPTY),
        ("cmd/apps/switch", BodyRule.OBJECT),
        ("cmd/apps/next", BodyRule.IGNORED),
        ("cmd/apps/previous", BodyRule.IGNORED),
        ("cmd/apps/order", BodyRule.OBJECT),
        ("cmd/settings", BodyRule.OBJECT),
        ("cmd/display", BodyRule.OBJECT),
        ("cmd/display/moodlight", BodyRule.OBJECT_OR_EMPTY),
        ("cmd/indicators/1", BodyRule.OBJECT_OR_EMPTY),
        ("cmd/indicators/3", BodyRule.OBJECT_OR_EMPTY),
        ("cmd/audio/play", BodyRule.OBJECT),
        ("cmd/audio/stop", BodyRule.OBJECT_OR_EMPTY),
        ("cmd/screen/get", BodyRule.IGNORED),
    ],
)
def test_mode_is_allowed_with_its_body_rule(name: str, rule: BodyRule) -> None:
    mode = resolve_mode(name, NONE)
    assert (mode.name, mode.body) == (name, rule)


@pytest.mark.parametrize(
    ("name", "firmware"),
    [("notify", "awtrix3"), ("settings", "awtrix3"), ("basics", "awtrix2"), ("custom/x", "awtrix3"), ("cmd/notify", "awtrix-ng")],
)
def test_mode_belongs_to_the_firmware_whose_topic_it_is(name: str, firmware: str) -> None:
    assert resolve_mode(name, NONE).firmware.name == firmware


def test_every_listed_mode_resolves() -> None:
    for name in {*AWTRIX2_MODES, *AWTRIX3_MODES, *NG_MODES}:
        for prefix in NAMED_PREFIXES:
            name = name.replace(f"{prefix}<name>", f"{prefix}x")
        assert resolve_mode(name, NONE).name == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("reboot", BodyRule.IGNORED),
        ("doupdate", BodyRule.IGNORED),
        ("sleep", BodyRule.OBJECT),
        ("apps", BodyRule.OBJECTS),
        ("cmd/device/reboot", BodyRule.IGNORED),
        ("cmd/device/sleep", BodyRule.OBJECT),
        ("cmd/settings/reset", BodyRule.IGNORED),
        ("cmd/audio/stations", BodyRule.OBJECT),
    ],
)
def test_dangerous_mode_is_refused_until_enabled(name: str, rule: BodyRule) -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode(name, NONE)
    assert (caught.value.status, caught.value.code) == (403, "mode_not_enabled")
    mode = resolve_mode(name, frozenset({name}))
    assert (mode.name, mode.body) == (name, rule)


def test_enabling_one_dangerous_mode_leaves_the_others_refused() -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode("doupdate", frozenset({"reboot"}))
    assert caught.value.code == "mode_not_enabled"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (None, "missing_mode"),
        ("", "missing_mode"),
        ("r2d3", "unknown_mode"),
        ("screen", "unknown_mode"),
        ("Notify", "unknown_mode"),
        ("cmd/notify/result", "unknown_mode"),
        ("cmd/indicators/4", "unknown_mode"),
        ("cmd/device/factory-reset", "unknown_mode"),
        ("cmd/apps/pushed", "invalid_app_name"),
        ("cmd/apps/pushed/", "invalid_app_name"),
        ("cmd/apps/pushed/a/b", "invalid_app_name"),
        ("cmd/notify/dismiss/result", "invalid_app_name"),
        ("cmd/apps/pushed/result", "invalid_app_name"),
        ("notify/", "unknown_mode"),
        ("awtrix/other/notify", "unknown_mode"),
        ("custom", "invalid_app_name"),
        ("custom/", "invalid_app_name"),
        ("custom/two words", "invalid_app_name"),
        ("custom/a/b", "invalid_app_name"),
        ("custom/#", "invalid_app_name"),
        ("custom/" + "a" * 33, "invalid_app_name"),
    ],
)
def test_mode_is_refused_with_code(name: str | None, code: str) -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode(name, NONE)
    assert caught.value.code == code


def test_unknown_mode_message_lists_the_allowed_modes_but_not_disabled_ones() -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode("r2d3", frozenset({"reboot"}))
    assert "notify/dismiss" in caught.value.message
    assert "reboot" in caught.value.message
    assert "doupdate" not in caught.value.message


def test_allowed_modes_include_enabled_dangerous_modes_only() -> None:
    assert DANGEROUS_MODES.isdisjoint(allowed_modes(NONE))
    assert set(allowed_modes(DANGEROUS_MODES)) >= DANGEROUS_MODES
