"""Gateway fixtures: Debian's Mosquitto on an ephemeral port, real publishers, and Flask test clients."""

import getpass
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.app import create_app
from gateway.publishing import Publisher, publisher_for
from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.publishing.mqtt.mqtt_client import MqttPublisher
from gateway.settings import BrokerSettings, GatewaySettings
from tests.support.clients import Clients
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.mosquitto import MOSQUITTO, MOSQUITTO_PASSWD, free_ports
from tests.support.processes import Process
from tests.support.relays import Relay
from tests.support.tls import make_certificate

WAIT_S = 10.0


@dataclass
class Mosquitto:
    """A Mosquitto 2 process on 127.0.0.1 with a config written to a temporary directory."""

    directory: Path
    users: dict[str, str] = field(default_factory=dict)
    acl: str | None = None
    tls: bool = False
    port: int = 0
    output: Process | None = None

    def start(self) -> "Mosquitto":
        """Start (or restart, on the same port) and return once Mosquitto listens."""
        self.port = self.port or free_ports(1)[0]
        # Started as root, Mosquitto would switch to user "mosquitto", who cannot read tmp_path.
        config = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr", f"user {getpass.getuser()}"]
        if self.tls:
            cert, key = make_certificate(self.directory)
            config += [f"certfile {cert}", f"keyfile {key}"]
        if self.users:
            passwords = self.directory / "passwords"
            passwords.touch(mode=0o600)
            for user, password in self.users.items():
                subprocess.run([MOSQUITTO_PASSWD, "-b", str(passwords), user, password], check=True)
            config += [f"password_file {passwords}", "allow_anonymous false"]
        if self.acl is not None:
            (self.directory / "acl").write_text(self.acl)
            config.append(f"acl_file {self.directory / 'acl'}")
        else:
            config.append("allow_anonymous true")
        path = self.directory / "mosquitto.conf"
        path.write_text("\n".join(config) + "\n")
        self.output = Process([MOSQUITTO, "-c", str(path)], {})
        try:
            self.output.wait_for(r"mosquitto version \S+ running")
        except AssertionError:
            self.output.stop()
            raise
        return self

    @property
    def certificate(self) -> Path:
        """The self-signed certificate of a TLS listener (for 127.0.0.1)."""
        return self.directory / "cert.pem"

    def stop(self) -> None:
        """Stop Mosquitto if it runs."""
        if self.output is not None:
            self.output.stop()

    def external(self, user: str | None = None, password: str | None = None) -> BrokerSettings:
        """Return settings for using this Mosquitto as an external MQTT 5 broker."""
        return BrokerSettings(host="127.0.0.1", port=self.port, username=user, password=password, external=True)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A running anonymous Mosquitto (MQTT 3.1.1 and 5)."""
    broker = Mosquitto(tmp_path).start()
    yield broker
    broker.stop()


@pytest.fixture
def plain_mqtt(mosquitto: Mosquitto) -> Iterator[Clients]:
    """A factory of device clients on the plain Mosquitto; all closed after the test."""
    clients = Clients(Relay("mosquitto", "127.0.0.1", mosquitto.port, mosquitto.port, "", ""))
    yield clients
    clients.close_all()


@pytest.fixture
def publishers() -> Iterator[list[EmbeddedPublisher | MqttPublisher]]:
    """A list tests add their publishers to, so each is stopped afterwards."""
    started: list[EmbeddedPublisher | MqttPublisher] = []
    yield started
    for publisher in started:
        publisher.stop()


@pytest.fixture
def make_publisher(publishers: list[EmbeddedPublisher | MqttPublisher]) -> Callable[..., EmbeddedPublisher | MqttPublisher]:
    """Return a factory of the real publisher the gateway would use for a broker, stopped after the test."""

    def make(broker: BrokerSettings, timeout_s: float = 1.5, wait_connected: bool = True) -> EmbeddedPublisher | MqttPublisher:
        publisher = publisher_for(broker, timeout_s)
        publishers.append(publisher)
        if wait_connected:
            assert publisher.wait_until(connected=True, timeout_s=WAIT_S)
        return publisher

    return make


def embedded_settings(embedded: EmbeddedBroker, secret: str = TEST_SECRET) -> BrokerSettings:
    """Return settings for logging in to the embedded broker as the gateway."""
    return BrokerSettings(host="127.0.0.1", port=embedded.port, username="gateway", password=secret)


@dataclass
class Gateway:
    """A Flask test client over create_app() and the publisher behind it."""

    http: FlaskClient
    publisher: Publisher

    def webhook(
        self,
        token: str | None,
        mode: str | None = "notify",
        body: bytes = b'{"text":"hi"}',
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST /cloud with the token in the query string (unless None) and the given body."""
        query = {key: value for key, value in (("mode", mode), ("token", token)) if value is not None}
        all_headers = {**({"Content-Type": content_type} if content_type else {}), **(headers or {})}
        return self.http.post("/cloud", query_string=query, data=body, headers=all_headers)


@pytest.fixture
def make_gateway() -> Callable[..., Gateway]:
    """Return a factory of gateways over a given publisher and settings."""

    def make(publisher: Publisher, **settings: object) -> Gateway:
        app = create_app(GatewaySettings(**settings), publisher)  # type: ignore[arg-type]
        return Gateway(app.test_client(), publisher)

    return make


class UnusedPublisher:
    """A publisher for requests that must be refused before anything is published."""

    connected = True

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Fail the test: validation should have refused the request."""
        raise AssertionError("publish() was called for a request that should have been refused")


@pytest.fixture
def refusing_gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway for error-path tests: its publisher fails the test if it is ever used."""
    return make_gateway(UnusedPublisher())
