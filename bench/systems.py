"""The systems under test, started the way `make run` starts ours: the Procfile's processes on loopback ports."""

import re
import secrets
import time
from dataclasses import dataclass

from bench.ceiling_gunicorn import READY_LINE
from bench.host import children, cpu_s, rss_kib
from bench.load import Endpoint
from tests.support.http import request
from tests.support.mosquitto import free_ports
from tests.support.processes import Process, procfile_command, start_broker, start_gateway

READY_S = 30.0
CONNECTED = re.compile(r"connected to the MQTT broker")
# One client address sending to a few tokens far faster than any real client: the gateway's rate limits
# (defaults: 10 per 10 s per token) would answer 429. Raised, not disabled, so the limiter's cost is measured.
# The per-address connection cap is lifted too: the load generators open hundreds of connections from 127.0.0.1.
GATEWAY_BENCH_ENV = {
    "RATE_LIMIT_PER_TOKEN": "100000 per 1 second",
    "RATE_LIMIT_PER_ADDRESS": "100000 per 1 second",
    "MAX_CONNECTIONS_PER_ADDRESS": "0",
}


@dataclass(frozen=True)
class GatewayShape:
    """gunicorn's worker processes (WEB_CONCURRENCY); threads > 0 swaps in gunicorn's gthread worker, for reference."""

    workers: int = 2
    threads: int = 0  # 0: the gateway's own worker, as config/gunicorn.conf.py sets it

    def env(self) -> dict[str, str]:
        """Return the gateway's environment: this shape, and rate limits above what the bench sends."""
        env = {"WEB_CONCURRENCY": str(self.workers), **GATEWAY_BENCH_ENV}
        if self.threads:
            env["GUNICORN_CMD_ARGS"] = f"--worker-class gthread --threads {self.threads}"
        return env

    def __str__(self) -> str:
        """Return e.g. "2 workers" or "2x4 gthread"."""
        return f"{self.workers}x{self.threads} gthread" if self.threads else f"{self.workers} workers"


class System:
    """A running system: an HTTP endpoint that publishes, and (usually) an MQTT broker devices connect to."""

    name = "system"
    anonymous_devices = False  # devices log in with username = token unless the system cannot do that
    # The smallest and largest fleets' runs alternate (the fleet shrinks and grows between them) unless
    # connecting the largest fleet takes the system minutes.
    alternate_sizes = True
    # The webhook -> AWTRIX NG /result -> answer round trip is measured on ours (bench/scenario.py)
    verdicts = False
    endpoint: Endpoint
    mqtt_port = 0

    def broker_pids(self) -> list[int]:
        """Return the broker's process ids (the first one is measured for memory)."""
        return []

    def gateway_pids(self) -> list[int]:
        """Return the HTTP side's process ids (gunicorn master and workers)."""
        return []

    def broker_rss_kib(self) -> int:
        """Return the broker's resident memory."""
        pids = self.broker_pids()
        return rss_kib(pids[0]) if pids else 0

    def cpu(self) -> dict[str, float]:
        """Return CPU seconds used so far by the broker, the HTTP side, and each gunicorn worker ("worker <pid>")."""
        used = {"broker": cpu_s(self.broker_pids()), "http": cpu_s(self.gateway_pids())}
        return used | {f"worker {pid}": cpu_s([pid]) for pid in self.gateway_pids()[1:]}

    def stop_broker(self) -> None:
        """Stop the broker process (devices see their connections close)."""
        raise NotImplementedError

    def start_broker(self) -> None:
        """Start the broker again on the same port."""
        raise NotImplementedError

    def wait_publisher(self, timeout_s: float = READY_S) -> None:
        """Wait until the HTTP side can publish again (after a broker restart)."""

    def close(self) -> None:
        """Stop every process this system started."""


def gateway_pids(gateway: Process) -> list[int]:
    """Return gunicorn's master and worker process ids."""
    return [gateway.popen.pid, *children(gateway.popen.pid)]


def wait_connected(gateway: Process, workers: int, since_line: int, timeout_s: float) -> None:
    """Wait until every gunicorn worker has logged its broker connection after output line since_line."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum(1 for line in gateway.lines[since_line:] if CONNECTED.search(line)) >= workers:
            return
        time.sleep(0.05)
    raise RuntimeError(f"gateway workers did not all connect to the broker within {timeout_s} s:\n{gateway.output[-2000:]}")


class GatewayOnBroker(System):
    """The gateway under gunicorn in front of an MQTT broker process; subclasses start the broker."""

    shape: GatewayShape
    gateway: Process
    broker: Process

    def broker_pids(self) -> list[int]:
        """Return the broker process id."""
        return [self.broker.popen.pid]

    def gateway_pids(self) -> list[int]:
        """Return gunicorn's processes."""
        return gateway_pids(self.gateway)

    def stop_broker(self) -> None:
        """Stop the broker with SIGTERM, as an operator's restart would."""
        self._mark = len(self.gateway.lines)
        self.broker.stop()

    def wait_publisher(self, timeout_s: float = READY_S) -> None:
        """Wait until every worker has reconnected to the restarted broker."""
        wait_connected(self.gateway, self.shape.workers, getattr(self, "_mark", 0), timeout_s)

    def close(self) -> None:
        """Stop gateway and broker."""
        self.gateway.stop()
        self.broker.stop()


class Embedded(GatewayOnBroker):
    """Ours: the Procfile's broker (embedded amqtt) and web (gunicorn + Flask gateway) processes."""

    name = "awtrix-cloud (embedded broker)"
    verdicts = True

    def __init__(self, shape: GatewayShape) -> None:
        """Start the broker on a fixed free loopback port (so it can restart there), then the gateway."""
        self.shape = shape
        (self.mqtt_port,) = free_ports(1)
        self._env = {"GATEWAY_SECRET": secrets.token_urlsafe(24), "MQTT_PORT": str(self.mqtt_port)}
        self.start_broker()
        self.gateway, http_port = start_gateway({**self._env, **shape.env()}, workers=shape.workers)
        wait_connected(self.gateway, shape.workers, 0, READY_S)
        self.endpoint = Endpoint("gateway", http_port)

    def start_broker(self) -> None:
        """Start the Procfile's broker on our port and wait until it listens."""
        self.broker, _ = start_broker(self._env)

    def wait_publisher(self, timeout_s: float = READY_S) -> None:
        """Wait until /healthz answers 200: the broker is back, and each request thread reconnects on its next webhook."""
        deadline = time.monotonic() + timeout_s
        while request(self.endpoint.port, "GET", "/healthz").status != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not reach the restarted broker within {timeout_s} s")
            time.sleep(0.05)


class Ceiling(System):
    """The HTTP ceiling: a minimal Flask JSON endpoint (bench/ceiling.py) under the same gunicorn settings."""

    name = "HTTP ceiling (minimal Flask app)"

    def __init__(self, shape: GatewayShape) -> None:
        """Start gunicorn with bench/ceiling_gunicorn.py, which reuses config/gunicorn.conf.py without its hooks."""
        env = {"HOST": "127.0.0.1", "PORT": "0", **shape.env()}
        self.web = Process(["gunicorn", "-c", "bench/ceiling_gunicorn.py", "bench.ceiling:app"], env)
        port = int(self.web.wait_for(r"Listening at: http://[\d.]+:(\d+)").group(1))
        # Every worker, not just the first: keep-alive clients stay on whichever worker accepted them.
        deadline = time.monotonic() + READY_S
        while sum(READY_LINE in line for line in self.web.lines) < shape.workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the ceiling's workers did not all start within {READY_S} s:\n{self.web.output[-2000:]}")
            time.sleep(0.05)
        self.endpoint = Endpoint("gateway", port)

    def gateway_pids(self) -> list[int]:
        """Return gunicorn's processes."""
        return gateway_pids(self.web)

    def close(self) -> None:
        """Stop gunicorn."""
        self.web.stop()


def web_command() -> list[str]:
    """Return the Procfile's web command (for the record in PERFORMANCE.md)."""
    return procfile_command("web")
