"""Count the instructions one webhook costs in the gateway's app alone, with callgrind (valgrind --tool=callgrind).

`python -m bench.callgrind_webhook` runs the app under callgrind twice, for SHORT and LONG webhooks in a row
(POST /cloud?mode=notify, a publisher that does nothing, limits nobody reaches), and prints the difference per
webhook: start-up and imports cancel out. Used to check that a change (a new blueprint, a hook) costs a webhook
nothing (docs/PERFORMANCE.md).
"""

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SHORT, LONG = 1000, 3000
_TOTAL = re.compile(r"^summary:\s+(\d+)", re.MULTILINE)


class NullPublisher:
    """A publisher that reaches a device at once and does nothing."""

    connected = True

    def publish(self, topic: str, payload: bytes) -> bool:
        """Say delivered."""
        return True


def run_webhooks(count: int) -> None:
    """Build the app as the gateway does and send it count webhooks through WSGI."""
    from werkzeug.test import EnvironBuilder

    from gateway.app import create_app
    from gateway.settings import GatewaySettings, RateLimitSettings

    limits = RateLimitSettings(per_token="1000000 per second", per_address="1000000 per second")
    app = create_app(GatewaySettings(rate_limits=limits), NullPublisher())  # type: ignore[arg-type]
    builder = EnvironBuilder(
        method="POST",
        path="/cloud",
        query_string="mode=notify&token=Callgrind-token-00000001",
        data=b'{"text":"hi"}',
        content_type="application/json",
    )
    environ = builder.get_environ()
    body = environ["wsgi.input"].read()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        assert status.startswith("200"), status

    for _ in range(count):
        environ["wsgi.input"] = io.BytesIO(body)
        b"".join(app(dict(environ), start_response))


def instructions(count: int) -> int:
    """Return the instructions callgrind counts for a process that sends count webhooks."""
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m", __spec__.name, str(count)],
            check=True,
            capture_output=True,
            # The same dict layouts, hence the same count, run after run; another seed shows the layout's noise.
            env={**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")},
        )
        match = _TOTAL.search(out.read_text())
    assert match, "callgrind wrote no summary line"
    return int(match.group(1))


def main() -> None:
    """Print the instructions per webhook."""
    short, long = instructions(SHORT), instructions(LONG)
    print(f"{(long - short) / (LONG - SHORT):,.0f} instructions per webhook ({LONG - SHORT} webhooks)")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run_webhooks(int(sys.argv[1]))
    else:
        main()
