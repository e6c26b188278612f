"""The firmware tables: each is consistent, and the gateway's mode rules are exactly what they say."""

import pytest

from common.firmware import FIRMWARES, NAME, BodyRule, Firmware
from gateway.rules.modes import allowed_modes, resolve_mode


@pytest.mark.parametrize("firmware", FIRMWARES, ids=lambda firmware: firmware.name)
def test_dangerous_modes_are_modes_of_the_same_firmware(firmware: Firmware) -> None:
    assert firmware.dangerous <= set(firmware.modes)


@pytest.mark.parametrize("firmware", FIRMWARES, ids=lambda firmware: firmware.name)
def test_named_prefixes_end_with_a_slash_and_name_no_fixed_mode(firmware: Firmware) -> None:
    for prefix in firmware.named:
        assert prefix.endswith("/")
        assert not any(mode.startswith(prefix) for mode in firmware.modes)


@pytest.mark.parametrize("firmware", FIRMWARES, ids=lambda firmware: firmware.name)
def test_every_mode_of_a_table_resolves_with_its_rule(firmware: Firmware) -> None:
    for mode, rule in firmware.modes.items():
        assert resolve_mode(mode, firmware.dangerous).body is rule


def test_firmwares_that_share_a_mode_agree_on_its_body() -> None:
    rules: dict[str, BodyRule] = {}
    for firmware in FIRMWARES:
        for mode, rule in firmware.modes.items():
            assert rules.setdefault(mode, rule) is rule, mode


def test_allowed_modes_are_the_safe_modes_of_every_table() -> None:
    safe = {mode for firmware in FIRMWARES for mode in firmware.safe_modes()}
    assert set(allowed_modes(frozenset())) == safe


@pytest.mark.parametrize(
    ("name", "valid"), [("solar", True), ("a" * 32, True), ("a" * 33, False), ("so lar", False), ("", False)]
)
def test_names_are_1_to_32_of_letters_digits_underscore_dash(name: str, valid: bool) -> None:
    assert (NAME.fullmatch(name) is not None) is valid
