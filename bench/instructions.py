"""Call the gateway app as WSGI N times with one plain JSON webhook, to count instructions per webhook with callgrind.

    PYTHONHASHSEED=0 setarch "$(uname -m)" -R valgrind --tool=callgrind python -m bench.instructions 200
    PYTHONHASHSEED=0 setarch "$(uname -m)" -R valgrind --tool=callgrind python -m bench.instructions 2200

(the difference of the two totals over 2000 is one webhook's cost; NO_LIMITS=1 leaves the rate limiter out,
whose moving windows make the count depend on the clock). Instruction counts stay put on a busy machine.
"""

import io
import os
import sys

from gateway.app import create_app
from gateway.settings import GatewaySettings, RateLimitSettings

BODY = b'{"text":"New mail","icon":"36","color":[255,255,255]}'
UNREACHABLE = "100000000 per minute"


class Delivering:
    """A publisher that says every message was delivered, at no cost."""

    connected = True

    def publish(self, topic: str, payload: bytes) -> bool | None:
        """Deliver nothing, and say it was delivered."""
        return True


def main(count: int) -> None:
    """Send count webhooks through the app and check each was answered 200."""
    limits = RateLimitSettings(enabled=False) if os.environ.get("NO_LIMITS") else RateLimitSettings(UNREACHABLE, UNREACHABLE)
    app = create_app(GatewaySettings(rate_limits=limits), Delivering())
    environ = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/cloud", "SERVER_NAME": "relay", "SERVER_PORT": "80",
        "QUERY_STRING": "mode=notify&token=Tok3n_for-tests-0123456", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }  # fmt: skip
    statuses: list[str] = []
    for _ in range(count):
        for _chunk in app.wsgi_app({**environ, "wsgi.input": io.BytesIO(BODY)}, lambda status, *_: statuses.append(status)):
            pass
    if not all(status.startswith("200") for status in statuses):
        raise SystemExit(f"not every webhook was answered 200: {set(statuses)}")


if __name__ == "__main__":
    main(int(sys.argv[1]))
