"""Run real Mosquitto processes from the shipped configs, laid out as on Debian, on ephemeral 127.0.0.1 ports."""

import getpass
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "mosquitto"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
HOST = "127.0.0.1"
START_S = 10.0
STOP_S = 5.0

# What the shipped mosquitto.conf says, and what a test puts in its place.
SHIPPED_DEVICE_PORT = 1883
SHIPPED_GATEWAY_PORT = 1884
SHIPPED_FILES_DIR = "/etc/mosquitto/awtrix-cloud"
GATEWAY_USERNAME = "gateway"

# Placeholders in bridge.conf.example.
BRIDGE_ADDRESS = "relay.example.org:1883"
BRIDGE_TOKEN = "YOUR_TOKEN"
BRIDGE_PREFIX = "YOUR_AWTRIX_PREFIX"
BRIDGE_SUFFIX = "RANDOM_SUFFIX"


@dataclass(frozen=True)
class MosquittoRelay:
    """A running Mosquitto with the shipped awtrix-cloud config: where to connect and where it logs."""

    host: str
    device_port: int
    gateway_port: int
    gateway_username: str
    gateway_password: str
    log_path: Path
    output_path: Path
    persistence_dir: Path


@dataclass(frozen=True)
class HomeBroker:
    """A running "home" Mosquitto whose only extra config is the rendered bridge.conf.example."""

    host: str
    port: int
    bridge_client_id: str
    log_path: Path


def free_ports(count: int) -> list[int]:
    """Return count distinct ports that were free on 127.0.0.1 a moment ago."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def render_relay_config(
    text: str,
    device_port: int,
    gateway_port: int,
    files_dir: Path,
    drop: Collection[str] = (),
    extra: Collection[str] = (),
) -> str:
    """Return the shipped config with its listeners moved to 127.0.0.1 ports and its files moved to files_dir.

    Directives named in drop are left out and lines in extra are added at the end, so a test can show
    what a line of the shipped config prevents.
    """
    ports = {str(SHIPPED_DEVICE_PORT): device_port, str(SHIPPED_GATEWAY_PORT): gateway_port}
    lines, seen_ports = [], []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            lines.append(line)
        elif words[0] in drop:
            continue
        elif words[0] == "listener":
            seen_ports.append(words[1])
            lines.append(f"listener {ports[words[1]]} {HOST}")
        elif words[0] in ("acl_file", "password_file"):
            assert words[1].startswith(SHIPPED_FILES_DIR + "/"), line
            lines.append(f"{words[0]} {files_dir / Path(words[1]).name}")
        else:
            lines.append(line)
    assert sorted(seen_ports) == sorted(ports), f"expected listeners {sorted(ports)}, found {seen_ports}"
    return "\n".join([*lines, *extra]) + "\n"


def render_bridge_config(text: str, remote_host: str, remote_port: int, token: str, prefix: str, suffix: str) -> str:
    """Return bridge.conf.example with its placeholders filled in."""
    replacements = {
        BRIDGE_ADDRESS: f"{remote_host}:{remote_port}",
        BRIDGE_TOKEN: token,
        BRIDGE_PREFIX: prefix,
        BRIDGE_SUFFIX: suffix,
    }
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{placeholder} missing from bridge.conf.example"
        text = text.replace(placeholder, value)
    return text


def debian_main_config(workdir: Path, log_path: Path, include_dir: Path) -> str:
    """Return Debian's /etc/mosquitto/mosquitto.conf with its paths moved into workdir."""
    return (
        # Without this, a broker started as root switches to the "mosquitto" user and cannot read tmp_path.
        f"user {getpass.getuser()}\n"
        "persistence true\n"
        f"persistence_location {workdir / 'lib'}/\n"
        f"log_dest file {log_path}\n"
        f"include_dir {include_dir}\n"
    )


@contextmanager
def run_relay(workdir: Path, drop: Collection[str] = (), extra: Collection[str] = ()) -> Iterator[MosquittoRelay]:
    """Install the shipped config into workdir as on Debian, run Mosquitto, yield it, and stop it."""
    files_dir, conf_d = workdir / "awtrix-cloud", workdir / "conf.d"
    for directory in (files_dir, conf_d, workdir / "lib"):
        directory.mkdir(parents=True)
    for name in ("acl.devices", "acl.gateway"):
        shutil.copyfile(CONFIG_DIR / name, files_dir / name)
    password = secrets.token_urlsafe(16)
    subprocess.run(
        [MOSQUITTO_PASSWD, "-b", "-c", str(files_dir / "passwd.gateway"), GATEWAY_USERNAME, password],
        check=True,
        capture_output=True,
    )
    device_port, gateway_port = free_ports(2)
    shipped = (CONFIG_DIR / "mosquitto.conf").read_text()
    (conf_d / "awtrix-cloud.conf").write_text(render_relay_config(shipped, device_port, gateway_port, files_dir, drop, extra))
    log_path = workdir / "mosquitto.log"
    main = workdir / "mosquitto.conf"
    main.write_text(debian_main_config(workdir, log_path, conf_d))
    output_path = workdir / "output.txt"
    with _mosquitto(main, [device_port, gateway_port], output_path, log_path):
        yield MosquittoRelay(HOST, device_port, gateway_port, GATEWAY_USERNAME, password, log_path, output_path, workdir / "lib")


@contextmanager
def run_home_broker(workdir: Path, remote_host: str, remote_port: int, token: str, prefix: str) -> Iterator[HomeBroker]:
    """Run a plain Mosquitto with bridge.conf.example filled in for token, bridging from remote_host:remote_port."""
    conf_d = workdir / "conf.d"
    conf_d.mkdir(parents=True)
    suffix = secrets.token_hex(6)
    example = (CONFIG_DIR / "bridge.conf.example").read_text()
    bridge = render_bridge_config(example, remote_host, remote_port, token, prefix, suffix)
    (conf_d / "awtrix-cloud-bridge.conf").write_text(bridge)
    (port,) = free_ports(1)
    log_path = workdir / "mosquitto.log"
    main = workdir / "mosquitto.conf"
    main.write_text(
        f"user {getpass.getuser()}\n"
        f"log_dest file {log_path}\n"
        f"listener {port} {HOST}\n"
        "allow_anonymous true\n"
        f"include_dir {conf_d}\n"
    )
    with _mosquitto(main, [port], workdir / "output.txt", log_path):
        yield HomeBroker(HOST, port, f"awtrix-bridge-{suffix}", log_path)


@contextmanager
def _mosquitto(config: Path, ports: list[int], output_path: Path, log_path: Path) -> Iterator[None]:
    """Run mosquitto -c config until every port accepts connections; SIGTERM it and wait on the way out."""
    with output_path.open("w") as output:
        process = subprocess.Popen([MOSQUITTO, "-c", str(config)], stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_listening(process, ports, output_path, log_path)
        yield
    finally:
        process.terminate()
        try:
            process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_listening(process: subprocess.Popen[bytes], ports: list[int], output_path: Path, log_path: Path) -> None:
    """Poll a TCP connect to each port until all accept, failing fast if Mosquitto exits."""
    deadline = time.monotonic() + START_S
    waiting = list(ports)
    while waiting:
        if process.poll() is not None or time.monotonic() > deadline:
            log = log_path.read_text() if log_path.exists() else ""
            raise RuntimeError(f"mosquitto is not listening on {waiting}:\n{output_path.read_text()}{log}")
        try:
            socket.create_connection((HOST, waiting[0]), timeout=0.2).close()
            waiting.pop(0)
        except OSError:
            time.sleep(0.02)
