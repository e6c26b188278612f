"""The shipped files themselves: where the listeners bind, which files the config expects, what devices may do."""

from pathlib import Path

import pytest

from broker.routing import topic_matches
from common.firmware import FIRMWARES, awtrix_ng
from tests.support.mosquitto import CONFIG_DIR, HOST, SHIPPED_FILES_DIR, render_relay_config


def directives(text: str) -> list[list[str]]:
    """Return each non-comment line of a Mosquitto config split into words."""
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_shipped_gateway_listener_is_reachable_from_this_host_only() -> None:
    listeners = [words[1:] for words in directives((CONFIG_DIR / "mosquitto.conf").read_text()) if words[0] == "listener"]

    assert listeners == [["1883"], ["1884", "127.0.0.1"]]


def test_every_file_the_config_names_ships_here_except_the_password_file() -> None:
    named = [words[1] for words in directives((CONFIG_DIR / "mosquitto.conf").read_text()) if words[0].endswith("_file")]

    assert named == [
        f"{SHIPPED_FILES_DIR}/acl.devices",
        f"{SHIPPED_FILES_DIR}/passwd.gateway",
        f"{SHIPPED_FILES_DIR}/acl.gateway",
    ]
    assert all((CONFIG_DIR / Path(path).name).exists() for path in named if "passwd" not in path)


def test_rendered_config_listens_on_loopback_only(tmp_path: Path) -> None:
    rendered = render_relay_config((CONFIG_DIR / "mosquitto.conf").read_text(), 50001, 50002, tmp_path)

    listeners = [words[1:] for words in directives(rendered) if words[0] == "listener"]
    assert listeners == [["50001", HOST], ["50002", HOST]]


TOKEN = "abcdefghijklmnop"


def device_access(access: str) -> list[str]:
    """Return the topic patterns acl.devices grants devices for access ("read" or "write"), with %u filled in."""
    lines = directives((CONFIG_DIR / "acl.devices").read_text())
    return [words[2].replace("%u", TOKEN) for words in lines if words[:2] == ["pattern", access]]


def granted(access: str, suffix: str) -> bool:
    """Return True when a device of TOKEN has access to awtrix/TOKEN/<suffix>."""
    return any(topic_matches(pattern, f"awtrix/{TOKEN}/{suffix}") for pattern in device_access(access))


def every_mode() -> list[str]:
    """Return every topic the gateway publishes to, for every firmware (a named mode with the name "x")."""
    return [mode for firmware in FIRMWARES for mode in firmware.modes] + [
        f"{prefix}x" for firmware in FIRMWARES for prefix in firmware.named
    ]


@pytest.mark.parametrize("mode", every_mode())
def test_devices_read_every_mode_of_every_firmware(mode: str) -> None:
    assert granted("read", mode)
    assert not granted("write", mode)  # only the gateway publishes commands


@pytest.mark.parametrize("command", [mode for mode in every_mode() if awtrix_ng.FIRMWARE.answers(mode)])
def test_devices_write_ng_answers_and_read_none_of_them(command: str) -> None:
    for answer in awtrix_ng.FIRMWARE.answers(command):
        assert granted("write", answer)
        if answer.endswith("/result") and answer != "cmd/notify/dismiss/result":  # the one a dismiss/+ read covers
            assert not granted("read", answer), answer


@pytest.mark.parametrize("topic", ["stats", "stats/device", "screen", "availability", "state/device", "state/buttons/left"])
def test_devices_publish_and_read_what_clocks_say_about_themselves(topic: str) -> None:
    assert granted("write", topic) and granted("read", topic)


def test_retained_messages_are_available_for_ng_s_will() -> None:
    settings = {words[0]: words[1:] for words in directives((CONFIG_DIR / "mosquitto.conf").read_text())}
    assert settings["retain_available"] == ["true"]
