"""The gateway behind the shipped nginx and HAProxy configurations: TLS, the client's address, limits, privacy."""

import http.client
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.errors import ERROR_CODES
from tests.support.embedded import TEST_SECRET, EmbeddedBroker
from tests.support.processes import Process, start_gateway
from tests.support.proxies import HAProxy, Nginx, Proxy

TOKEN = "Proxied-token-for-logs-0001"
CLIENTS = ("127.0.0.11", "127.0.0.12", "127.0.0.13")
PER_ADDRESS = 3  # RATE_LIMIT_PER_ADDRESS per minute


@dataclass
class Front:
    """A gateway (one worker) and a TLS proxy in front of it."""

    gateway: Process
    gateway_port: int
    proxy: Proxy
    context: ssl.SSLContext

    def request(
        self, source: str, method: str, path: str, body: bytes = b"", headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        """Send one HTTPS request through the proxy from source; return status, headers and body."""
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.proxy.port, timeout=10, context=self.context, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def raw(self, source: str, data: bytes) -> bytes:
        """Send raw bytes over TLS through the proxy and return everything it answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.proxy.port), timeout=10, source_address=(source, 0)) as plain:
            with self.context.wrap_socket(plain, server_hostname="127.0.0.1") as sock:
                sock.sendall(data)
                received = b""
                while chunk := sock.recv(65536):
                    received += chunk
                    if b"\r\n\r\n" in received and len(received.split(b"\r\n\r\n", 1)[1]) >= content_length(received):
                        break
                return received


def content_length(answer: bytes) -> int:
    """Return the Content-Length an answer's head declares (0 if none)."""
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def webhook_path(token: str = TOKEN) -> str:
    """The webhook's path, token in the query."""
    return f"/cloud?mode=notify&token={token}"


@pytest.fixture(scope="module", params=[Nginx, HAProxy], ids=["nginx", "haproxy"])
def front(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    """A gateway with TRUSTED_PROXY_COUNT=1 and a small per-address rate limit, behind each proxy in turn."""
    broker = EmbeddedBroker().start()
    env = {
        "GATEWAY_SECRET": TEST_SECRET,
        "MQTT_PORT": str(broker.port),
        "TRUSTED_PROXY_COUNT": "1",
        "RATE_LIMIT_PER_ADDRESS": f"{PER_ADDRESS}/minute",
        "RATE_LIMIT_PER_TOKEN": "100000/minute",
        "MAX_CONNECTIONS_PER_ADDRESS": "1",
    }
    gateway, port = start_gateway(env, workers=1)
    proxy: Proxy | None = None
    try:
        gateway.wait_for("connected to the MQTT broker")
        directory: Path = tmp_path_factory.mktemp(request.param.kind)
        proxy = request.param(directory, port).start()
        context = ssl.create_default_context(cafile=str(proxy.cert))
        yield Front(gateway, port, proxy, context)
    finally:
        if proxy is not None:
            proxy.stop()
        gateway.stop()
        broker.stop()


def assert_envelope(body: bytes, code: str) -> None:
    """Assert body is the error envelope with code."""
    error = json.loads(body)["error"]
    assert error["code"] == code and code in ERROR_CODES and error["message"]


def test_a_webhook_passes_through_the_proxy_chunked_or_not(front: Front) -> None:
    status, _, body = front.request(CLIENTS[2], "GET", "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    chunked = (
        b"POST /cloud?mode=notify&token=absent-device-token-0000 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\n{"text\r\n7\r\n":"hi"}\r\n0\r\n\r\n'
    )
    answer = front.raw(CLIENTS[2], chunked)
    assert answer.startswith(b"HTTP/1.1 202 "), answer[:100]


def test_the_rate_limit_counts_each_clients_address_not_the_proxys(front: Front) -> None:
    client, other = CLIENTS[0], CLIENTS[1]
    statuses = [front.request(client, "POST", webhook_path(), b'{"text":"hi"}')[0] for _ in range(PER_ADDRESS)]
    assert statuses == [202] * PER_ADDRESS
    status, headers, body = front.request(client, "POST", webhook_path(), b'{"text":"hi"}')
    assert status == 429 and headers["retry-after"]
    assert_envelope(body, "rate_limited")
    # A client's own X-Forwarded-For does not make it someone else: the proxy replaces the header.
    spoofed = front.request(client, "POST", webhook_path(), b'{"text":"hi"}', {"X-Forwarded-For": "198.51.100.7"})
    assert spoofed[0] == 429
    assert front.request(other, "POST", webhook_path(), b'{"text":"hi"}')[0] == 202


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"post /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n", 400, "bad_request"),
        (
            b"POST /cloud?mode=notify&token=absent-device-token-0000 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 20000\r\n\r\n" + b"x" * 20000,
            413,
            "body_too_large",
        ),
        (
            b"POST /cloud?mode=notify&token=absent-device-token-0000 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 9011\r\n\r\n{"text":"' + b"x" * 9000 + b'"}',
            413,
            "body_too_large",
        ),
        (b"OPTIONS /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed"),
    ],
    ids=["lower-case method", "control byte in a header", "body over the proxy's limit", "body over the gateway's", "OPTIONS"],
)
def test_limits_and_refusals_hold_through_the_proxy_in_the_envelope(front: Front, data: bytes, status: int, code: str) -> None:
    answer = front.raw(CLIENTS[2], data)
    assert answer.startswith(b"HTTP/1.1 %d " % status), answer[:120]
    assert b"application/json" in answer.split(b"\r\n\r\n", 1)[0]
    assert_envelope(answer.split(b"\r\n\r\n", 1)[1], code)


def test_connections_from_a_trusted_proxy_are_not_capped_per_address(front: Front) -> None:
    # MAX_CONNECTIONS_PER_ADDRESS=1, yet with TRUSTED_PROXY_COUNT=1 every connection may come from the proxy's address.
    healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    held = [socket.create_connection(("127.0.0.1", front.gateway_port), timeout=10) for _ in range(3)]
    try:
        for sock in held:
            sock.sendall(healthz)
        assert all(sock.recv(100).startswith(b"HTTP/1.1 200 ") for sock in held)
    finally:
        for sock in held:
            sock.close()


def test_no_log_holds_a_client_address_or_a_token(front: Front) -> None:
    assert front.request(CLIENTS[2], "POST", webhook_path(), b'{"text":"hi"}')[0] in (202, 429)
    logs = front.gateway.output + front.proxy.logs()
    assert "POST /cloud" in logs  # the access lines are there, without what they must not hold
    assert TOKEN not in logs
    assert not [client for client in CLIENTS if client in logs]
