"""One description of a running relay broker, whichever it is, so the same suites run against each."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.mosquitto import MosquittoRelay, run_relay

KINDS = ("embedded", "mosquitto")


@dataclass(frozen=True)
class Relay:
    """Where devices and the gateway connect, and as whom the gateway logs in."""

    kind: str
    host: str
    device_port: int
    gateway_port: int
    gateway_username: str
    gateway_password: str
    log_files: tuple[Path, ...] = ()

    def logs(self) -> str:
        """Return what the broker wrote to its log files (empty for a broker that logs to its process output)."""
        return "".join(path.read_text() for path in self.log_files if path.exists())

    @property
    def gateway_protocol(self) -> int:
        """The MQTT version the gateway speaks to this broker (MQTT 5 where reason codes exist)."""
        return mqtt.MQTTv311 if self.kind == "embedded" else mqtt.MQTTv5

    def gateway_env(self) -> dict[str, str]:
        """Return the environment that points a gateway process at this broker."""
        if self.kind == "embedded":
            return {"MQTT_HOST": self.host, "MQTT_PORT": str(self.gateway_port), "GATEWAY_SECRET": self.gateway_password}
        url = f"mqtt://{self.gateway_username}:{self.gateway_password}@{self.host}:{self.gateway_port}"
        return {"MQTT_URL": url}


@contextmanager
def embedded_relay() -> Iterator[Relay]:
    """Run the embedded broker in this process and describe it."""
    running = EmbeddedBroker().start()
    try:
        port = running.port
        yield Relay("embedded", "127.0.0.1", port, port, running.settings.gateway_username, TEST_SECRET)
    finally:
        running.stop()


def from_mosquitto(broker: MosquittoRelay) -> Relay:
    """Describe a running Mosquitto relay."""
    return Relay(
        "mosquitto",
        broker.host,
        broker.device_port,
        broker.gateway_port,
        broker.gateway_username,
        broker.gateway_password,
        (broker.log_path, broker.output_path),
    )


@contextmanager
def mosquitto_relay(workdir: Path) -> Iterator[Relay]:
    """Run Debian's Mosquitto from the shipped config and describe it."""
    with run_relay(workdir) as broker:
        yield from_mosquitto(broker)


@contextmanager
def relay_of_kind(kind: str, workdir: Path) -> Iterator[Relay]:
    """Run a relay broker of the given kind."""
    runner = embedded_relay() if kind == "embedded" else mosquitto_relay(workdir)
    with runner as relay:
        yield relay
