"""The broker ceiling: the same gateway in front of Debian's Mosquitto, configured from config/mosquitto/."""

import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load import Endpoint
from bench.systems import READY_S, GatewayOnBroker, GatewayShape, wait_connected
from tests.support.mosquitto import free_ports
from tests.support.processes import ROOT, Process, start_gateway

CONFIG_DIR = ROOT / "config" / "mosquitto"
MOSQUITTO = "/usr/sbin/mosquitto"
GATEWAY_USER = "gateway"
_LISTENER = re.compile(r"^listener\s+\d+(\s+\S+)?\s*$")
_FILE_OPTION = re.compile(r"^(acl_file|password_file)\s+(\S+)\s*$")


def render_config(directory: Path, ports: list[int], secret: str) -> Path:
    """Write config/mosquitto/mosquitto.conf into directory with loopback ports and local copies of its files.

    The n-th `listener` line gets ports[n] on 127.0.0.1 (devices first, then the gateway); each acl_file
    is copied from config/mosquitto/; the password file gets the gateway user with secret.
    """
    lines, listeners = [], iter(ports)
    for line in (CONFIG_DIR / "mosquitto.conf").read_text().splitlines():
        if _LISTENER.match(line):
            line = f"listener {next(listeners)} 127.0.0.1"
        elif match := _FILE_OPTION.match(line):
            option, original = match.groups()
            local = directory / Path(original).name
            if option == "password_file":
                command = ["mosquitto_passwd", "-c", "-b", str(local), GATEWAY_USER, secret]
                subprocess.run(command, check=True, capture_output=True)
            else:
                shutil.copyfile(CONFIG_DIR / Path(original).name, local)
            local.chmod(0o644)  # Mosquitto drops root for its own user and must still read these
            line = f"{option} {local}"
        lines.append(line)
    path = directory / "mosquitto.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def wait_listening(port: int, timeout_s: float) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class MosquittoSystem(GatewayOnBroker):
    """Our gateway with MQTT_URL pointing at Mosquitto's gateway listener; devices on its device listener."""

    name = "broker ceiling (gateway + Mosquitto)"

    def __init__(self, shape: GatewayShape) -> None:
        """Render the config, start Mosquitto, then the gateway."""
        self.shape = shape
        self._dir = Path(tempfile.mkdtemp(prefix="bench-mosquitto-"))
        self._dir.chmod(0o755)
        self.mqtt_port, gateway_port = free_ports(2)
        secret = secrets.token_urlsafe(24)
        self._config = render_config(self._dir, [self.mqtt_port, gateway_port], secret)
        self.start_broker()
        url = f"mqtt://{GATEWAY_USER}:{secret}@127.0.0.1:{gateway_port}"
        self.gateway, http_port = start_gateway({"MQTT_URL": url, **shape.env()}, workers=shape.workers)
        wait_connected(self.gateway, shape.workers, 0, READY_S)
        self.endpoint = Endpoint("gateway", http_port)

    def start_broker(self) -> None:
        """Start Mosquitto and wait until its device listener accepts connections."""
        self.broker = Process([MOSQUITTO, "-c", str(self._config)], {})
        wait_listening(self.mqtt_port, READY_S)

    def close(self) -> None:
        """Stop gateway and Mosquitto, and remove the rendered config."""
        super().close()
        shutil.rmtree(self._dir, ignore_errors=True)
