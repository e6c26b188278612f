"""Between the worker and the Flask app: the WSGI environ of a parsed request, and the call."""

import io
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from gateway.serving.heads import Head
from gateway.serving.responses import Headers, Status


@dataclass
class Answer:
    """What the access log needs to know about a response (gunicorn's logger reads these names)."""

    status: Status
    headers: Headers
    sent: int


class RequestHeaders:
    """The request's headers where gunicorn's access-log atoms look for them."""

    def __init__(self, headers: Headers) -> None:
        """Keep the headers as parsed."""
        self.headers = headers


def environ_for(head: Head, body: bytes, client: tuple[str, int], server: Any) -> dict[str, Any]:
    """Return the WSGI environ of a parsed request whose whole body is in hand."""
    path, _, query = head.target.partition("?")
    host, port = server if isinstance(server, tuple) else ("", "")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": head.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": head.target,
        "SERVER_NAME": str(host),
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": head.version,
        "SERVER_SOFTWARE": "awtrix-cloud",
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if head.chunked:
        environ["CONTENT_LENGTH"] = str(len(body))
    elif head.content_length:
        environ["CONTENT_LENGTH"] = str(head.content_length)
    for name, value in head.headers:
        if "_" in name:
            continue  # dropped, as gunicorn does: X_Forwarded_For would otherwise pose as X-Forwarded-For
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ[key] = value
        elif key not in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def call_app(app: Any, environ: dict[str, Any]) -> tuple[Status, Headers, bytes]:
    """Call a WSGI app and return its status, headers and whole body."""
    started: list[Any] = []

    def start_response(status: Status, headers: Headers, exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return lambda chunk: None  # the legacy write() callable; the gateway never uses it

    result = app(environ, start_response)
    try:
        payload = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started[0], started[1], payload
