"""`python -m bench.instructions`: CPU instructions per webhook with the gateway's metrics off and on, by callgrind.

Instruction counts repeat from run to run even on a busy machine, where timings do not. Each case runs the
gateway app (WSGI, as the worker calls it) in a fresh process under `valgrind --tool=callgrind` twice, with
SMALL and LARGE webhooks; the difference divided by LARGE - SMALL is the cost of one webhook, start-up
and warm-up excluded. The publisher does nothing (the broker's side is not the gateway's cost); with metrics on, the
tally is flushed into real multiprocess values every FLUSH_EVERY webhooks, as the flush thread would do twice a
second at 5,000 webhooks/s. Needs valgrind (Debian: apt-get install valgrind). Takes a few minutes.
"""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

SMALL, LARGE = 500, 2500
FLUSH_EVERY = 2500
WARM_UP = 100


def run_case(metrics: bool, count: int) -> None:
    """In this process: serve count webhooks through the gateway app."""
    if metrics:
        directory = tempfile.mkdtemp(prefix="bench-instructions-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    from bench.components import UNLIMITED, NoPublisher, request
    from gateway.app import create_app
    from gateway.metrics.recording import METRICS_KEY
    from gateway.settings import BrokerSettings, GatewaySettings

    broker = BrokerSettings("127.0.0.1", 1, "gateway", "x" * 16)
    settings = GatewaySettings(broker=broker, rate_limits=UNLIMITED, metrics_port=0 if metrics else None)
    app = create_app(settings, NoPublisher())
    recorder = app.extensions.get(METRICS_KEY)
    if recorder is not None:
        from gateway.metrics.definitions import process_metrics

        recorder.sink = process_metrics()
    call = request(app)
    for _ in range(WARM_UP):  # the first calls and the first flush make caches, files and labelled children
        call()
    if recorder is not None:
        recorder.tally.flush(recorder.sink)
    for done in range(1, count + 1):
        call()
        if recorder is not None and done % FLUSH_EVERY == 0:
            recorder.tally.flush(recorder.sink)


def instructions(metrics: bool, count: int) -> int:
    """Return the instructions callgrind counts for a whole process serving count webhooks."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out",
            sys.executable, "-m", "bench.instructions", "case", "on" if metrics else "off", str(count),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no total: {result.stderr[-1000:]}")
    return int(match.group(1))


def main() -> int:
    """Print instructions per webhook, metrics off and on."""
    if sys.argv[1:2] == ["case"]:
        run_case(sys.argv[2] == "on", int(sys.argv[3]))
        return 0
    per = {}
    for metrics in (False, True):
        per[metrics] = (instructions(metrics, LARGE) - instructions(metrics, SMALL)) / (LARGE - SMALL)
        print(f"metrics {'on ' if metrics else 'off'}: {per[metrics]:,.0f} instructions per webhook", flush=True)
    print(f"metrics cost: {per[True] - per[False]:,.0f} instructions per webhook ({per[True] / per[False] - 1:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
