"""The shipped files themselves: where the listeners bind and which files the config expects."""

from pathlib import Path

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
