"""The nearest existing system: RabbitMQ's HTTP publish API delivering to MQTT subscribers through its MQTT plugin.

Installed from Debian's rabbitmq-server when missing, run by the bench as its own node (own ports, own
epmd, data in a temporary directory, everything bound to 127.0.0.1), and stopped afterwards.
"""

import base64
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.host import children
from bench.load import Endpoint
from bench.mosquitto import wait_listening
from bench.systems import System
from tests.support.mosquitto import free_ports
from tests.support.processes import Process

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
READY_S = 90.0
GUEST = "Basic " + base64.b64encode(b"guest:guest").decode()

CONFIG = """\
listeners.tcp.default = 127.0.0.1:{amqp}
management.tcp.ip = 127.0.0.1
management.tcp.port = {http}
mqtt.listeners.tcp.default = 127.0.0.1:{mqtt}
mqtt.tcp_listen_options.backlog = 4096
mqtt.allow_anonymous = true
mqtt.default_user = guest
mqtt.default_pass = guest
mqtt.vhost = /
mqtt.exchange = amq.topic
log.console = true
log.console.level = warning
log.file = false
"""


def ensure_installed() -> str | None:
    """Install Debian's rabbitmq-server when missing; return why it is unavailable, or None when it is there."""
    if SERVER.exists():
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300, check=True)
        install = ["apt-get", "install", "-y", "-qq", "rabbitmq-server"]
        subprocess.run(install, env=env, capture_output=True, timeout=600, check=True)
    except (OSError, subprocess.SubprocessError) as err:
        return f"cannot install Debian's rabbitmq-server ({type(err).__name__})"
    # Debian's postinst may start a system instance where no policy forbids it; it is not ours to measure.
    subprocess.run(["invoke-rc.d", "rabbitmq-server", "stop"], capture_output=True, timeout=60, check=False)
    return None if SERVER.exists() else "rabbitmq-server is not installed after apt-get install"


class RabbitMQSystem(System):
    """RabbitMQ 3.x with the management and MQTT plugins; webhooks go to its HTTP publish API."""

    name = "RabbitMQ HTTP publish API → MQTT plugin"
    anonymous_devices = True  # MQTT logins map to RabbitMQ users; devices use the default (guest) user instead
    alternate_sizes = False  # 10,000 devices take it about a minute to connect and longer to disconnect

    def __init__(self) -> None:
        """Start epmd and a RabbitMQ node on free loopback ports."""
        self._dir = Path(tempfile.mkdtemp(prefix="bench-rabbitmq-"))
        amqp, http, self.mqtt_port, dist, self._epmd_port = free_ports(5)
        (self._dir / "rabbitmq.conf").write_text(CONFIG.format(amqp=amqp, http=http, mqtt=self.mqtt_port))
        (self._dir / "enabled_plugins").write_text("[rabbitmq_management,rabbitmq_mqtt].\n")
        self._env = {
            "HOME": str(self._dir),
            "RABBITMQ_NODENAME": f"bench{os.getpid()}@localhost",
            "RABBITMQ_CONFIG_FILE": str(self._dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self._dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self._dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._dir / "log"),
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_DIST_PORT": str(dist),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self._epmd_port),
        }
        self.epmd = Process(["epmd", "-address", "127.0.0.1", "-port", str(self._epmd_port)], self._env)
        wait_listening(self._epmd_port, 10)
        self.endpoint = Endpoint("rabbitmq", http, authorization=GUEST)
        self.start_broker()

    def broker_pids(self) -> list[int]:
        """Return the Erlang VM's process id (it runs the broker and the HTTP API)."""
        return [pid for pid in children(self.server.popen.pid) if "beam" in _name(pid)] or [self.server.popen.pid]

    def start_broker(self) -> None:
        """Start the node and wait until its MQTT listener and HTTP API answer."""
        self.server = Process([str(SERVER)], self._env)
        self.server.wait_for(r"completed with \d+ plugins", timeout=READY_S)
        wait_listening(self.mqtt_port, READY_S)
        deadline = time.monotonic() + READY_S
        while not _api_ready(self.endpoint) and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop_broker(self) -> None:
        """Stop the node (SIGTERM: the start script turns it into a clean shutdown)."""
        self.server.stop(timeout=60)

    def close(self) -> None:
        """Stop the node and epmd, and remove the data directory."""
        self.server.stop(timeout=60)
        self.epmd.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _api_ready(endpoint: Endpoint) -> bool:
    request = urllib.request.Request(f"{endpoint.url}/api/overview", headers={"Authorization": endpoint.authorization})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310 - an http:// loopback URL we built
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False
