"""The mode allow-list: which modes pass, the body rule of each, and why others are refused."""

import pytest

from gateway.errors import ApiError
from gateway.rules.modes import AWTRIX2_MODES, AWTRIX3_MODES, DANGEROUS_MODES, BodyRule, Mode, allowed_modes, resolve_mode

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
    ],
)
def test_mode_is_allowed_with_its_body_rule(name: str, rule: BodyRule) -> None:
    assert resolve_mode(name, NONE) == Mode(name, rule)


def test_every_listed_awtrix_mode_resolves() -> None:
    for name in {*AWTRIX2_MODES, *AWTRIX3_MODES} - {"custom/<app>"}:
        assert resolve_mode(name, NONE).name == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [("reboot", BodyRule.IGNORED), ("doupdate", BodyRule.IGNORED), ("sleep", BodyRule.OBJECT), ("apps", BodyRule.OBJECTS)],
)
def test_dangerous_mode_is_refused_until_enabled(name: str, rule: BodyRule) -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode(name, NONE)
    assert (caught.value.status, caught.value.code) == (403, "mode_not_enabled")
    assert resolve_mode(name, frozenset({name})) == Mode(name, rule)


def test_enabling_one_dangerous_mode_leaves_the_others_refused() -> None:
    with pytest.raises(ApiError) as caught:
        resolve_mode("doupdate", frozenset({"reboot"}))
    assert caught.value.code == "mode_not_enabled"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (None, "missing_mode"),
        ("", "missing_mode"),
        ("r2d2", "unknown_mode"),
        ("sendscreen", "unknown_mode"),
        ("Notify", "unknown_mode"),
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
        resolve_mode("r2d2", frozenset({"reboot"}))
    assert "notify/dismiss" in caught.value.message
    assert "reboot" in caught.value.message
    assert "doupdate" not in caught.value.message


def test_allowed_modes_include_enabled_dangerous_modes_only() -> None:
    assert DANGEROUS_MODES.isdisjoint(allowed_modes(NONE))
    assert set(allowed_modes(DANGEROUS_MODES)) >= DANGEROUS_MODES
