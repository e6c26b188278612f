"""Debian's nginx and HAProxy in front of a gateway, from the shipped configurations with only ports and paths replaced."""

import socket
import time
from pathlib import Path

from tests.support.mosquitto import free_ports
from tests.support.processes import ROOT, Process
from tests.support.tls import make_certificate

NGINX, HAPROXY = "/usr/sbin/nginx", "/usr/sbin/haproxy"
START_S = 10.0


def render(text: str, replacements: dict[str, str]) -> str:
    """Return text with each replacement made, failing if the shipped file no longer has what a test replaces."""
    for old, new in replacements.items():
        assert old in text, f"the shipped proxy configuration no longer contains {old!r}"
        text = text.replace(old, new)
    return text


class Proxy:
    """A reverse proxy process terminating TLS on 127.0.0.1:port in front of the gateway on gateway_port."""

    kind = ""

    def __init__(self, directory: Path, gateway_port: int) -> None:
        """Prepare a certificate and a port in directory."""
        self.directory, self.gateway_port = directory, gateway_port
        self.cert, self.key = make_certificate(directory)
        (self.port,) = free_ports(1)
        self.process: Process | None = None

    def start(self) -> "Proxy":
        """Start the proxy and return once it accepts connections."""
        self.process = Process(self.command(), {})
        deadline = time.monotonic() + START_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.popen.poll() is not None:
                    self.stop()
                    raise AssertionError(f"{self.kind} did not start:\n{self.process.output}") from None
                time.sleep(0.05)  # polling a port that opens once the proxy has read its configuration

    def command(self) -> list[str]:
        """Return the command line that runs the proxy in the foreground."""
        raise NotImplementedError

    def logs(self) -> str:
        """Everything the proxy wrote: its output and its log files."""
        files = "".join(path.read_text(errors="replace") for path in sorted(self.directory.glob("*.log")))
        return (self.process.output if self.process else "") + files

    def stop(self) -> None:
        """Stop the proxy if it runs."""
        if self.process is not None:
            self.process.stop()


class Nginx(Proxy):
    """config/nginx/awtrix-cloud.conf inside a minimal nginx.conf: one process, in the foreground, files in directory."""

    kind = "nginx"

    def command(self) -> list[str]:
        """Write the configuration and return nginx's command line."""
        d = self.directory
        site = render(
            (ROOT / "config" / "nginx" / "awtrix-cloud.conf").read_text(),
            {
                "listen 443 ssl http2;": f"listen 127.0.0.1:{self.port} ssl http2;",
                "    listen [::]:443 ssl http2;\n": "",
                "server 127.0.0.1:8000;": f"server 127.0.0.1:{self.gateway_port};",
                "/etc/letsencrypt/live/relay.example.org/fullchain.pem": str(self.cert),
                "/etc/letsencrypt/live/relay.example.org/privkey.pem": str(self.key),
                "/var/log/nginx/awtrix-cloud.access.log": str(d / "access.log"),
                "/var/log/nginx/awtrix-cloud.error.log": str(d / "error.log"),
            },
        )
        (d / "site.conf").write_text(site)
        temp = " ".join(f"{name}_temp_path {d / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        main = (
            f"daemon off; master_process off; user root; pid {d / 'nginx.pid'}; error_log {d / 'main-error.log'} error;\n"
            f"events {{ worker_connections 1024; }}\n"
            f"http {{ {temp} access_log off; include {d / 'site.conf'}; }}\n"
        )
        (d / "nginx.conf").write_text(main)
        return [NGINX, "-p", str(d), "-c", str(d / "nginx.conf")]


class HAProxy(Proxy):
    """config/haproxy/gateway.cfg as shipped, with ports and the certificate replaced."""

    kind = "haproxy"

    def command(self) -> list[str]:
        """Write the configuration and return HAProxy's command line."""
        pem = self.directory / "cert-and-key.pem"
        pem.write_text(self.cert.read_text() + self.key.read_text())
        config = render(
            (ROOT / "config" / "haproxy" / "gateway.cfg").read_text(),
            {
                "bind :443 ssl crt /etc/haproxy/certs/relay.example.org.pem": f"bind 127.0.0.1:{self.port} ssl crt {pem}",
                "server gateway 127.0.0.1:8000": f"server gateway 127.0.0.1:{self.gateway_port}",
            },
        )
        (self.directory / "gateway.cfg").write_text(config)
        return [HAPROXY, "-db", "-f", str(self.directory / "gateway.cfg")]
