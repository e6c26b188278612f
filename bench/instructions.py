"""`python -m bench.instructions`: CPU instructions per webhook with the gateway's metrics off and on, by callgrind.

Instruction counts repeat from run to run even on a busy machine, where timings do not. Each case runs the
gateway app (WSGI, as the worker calls it) in a fresh process under `valgrind --tool=callgrind` twice, with
SMALL and LARGE webhooks; the difference divided by LARGE - SMALL is the cost of one webhook, start-up
and warm-up excluded. The publisher does nothing (the broker's side is not the gateway's cost); with metrics on, the
tally is flushed into real multiprocess values every FLUSH_EVERY webhooks, as the flush thread would do twice a
second at 5,000 webhooks/s. Needs valgrind (Debian: apt-get install valgrind). Takes a few minutes.

`python -m bench.instructions worker` measures the whole worker instead: gunicorn with one of the gateway's
workers runs under callgrind (the embedded broker natively), serves SMALL or LARGE webhooks (no device: 202)
over keep-alive connections, idles for FLUSH_WAIT_S so its flush thread runs, and stops; the worker's own total
is read. Callgrind slows the worker ~50 times, so its once-a-second flush runs ~50 times as often per webhook as
it would: the figure is an upper bound.
"""

import atexit
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL, LARGE = 500, 2500
FLUSH_EVERY = 2500
WARM_UP = 100
WORKER_SMALL, WORKER_LARGE = 300, 1300
FLUSH_WAIT_S = 2.5
UNLIMITED_ENV = {"RATE_LIMIT_PER_TOKEN": "100000/second", "RATE_LIMIT_PER_ADDRESS": "100000/second"}


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


def worker_instructions(metrics: bool, count: int) -> int:
    """Return the instructions of one gunicorn worker, under callgrind, that served count webhooks."""
    from tests.support.http import pipelined, webhook_request
    from tests.support.processes import Process, start_broker

    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24)}
    broker, mqtt_port = start_broker(env)
    settings = {**env, **UNLIMITED_ENV, "MQTT_PORT": str(mqtt_port), "HOST": "127.0.0.1", "PORT": "0", "WEB_CONCURRENCY": "1",
                "GUNICORN_TIMEOUT_S": "600", **({"GATEWAY_METRICS_PORT": "0"} if metrics else {})}  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        gunicorn = [sys.executable, str(Path(sys.executable).with_name("gunicorn")), "-c", "config/gunicorn.conf.py",
                    "gateway.wsgi:app"]  # fmt: skip
        web = Process(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.%p", *gunicorn], settings)
        try:
            port = int(web.wait_for(r"Listening at: http://[\d.]+:(\d+)", timeout=300).group(1))
            web.wait_for("connected to the MQTT broker", timeout=300)
            statuses = pipelined(port, [webhook_request(f"bench-token-{n % 50:05}") for n in range(count)], 32, 600)
            assert set(statuses) == {202}, set(statuses)
            time.sleep(FLUSH_WAIT_S)  # the worker idles as it would between bursts; its flush thread runs
        finally:
            web.stop(timeout=300)
            broker.stop()
    worker = re.search(r"Booting worker with pid: (\d+)", web.output)
    total = re.search(rf"=={worker.group(1) if worker else 0}== Collected : (\d+)", web.output)
    if total is None:
        raise RuntimeError(f"callgrind printed no total for the worker: {web.output[-1000:]}")
    return int(total.group(1))


def main() -> int:
    """Print instructions per webhook, metrics off and on."""
    if sys.argv[1:2] == ["case"]:
        run_case(sys.argv[2] == "on", int(sys.argv[3]))
        return 0
    whole = sys.argv[1:2] == ["worker"]
    measure, small, large = (worker_instructions, WORKER_SMALL, WORKER_LARGE) if whole else (instructions, SMALL, LARGE)
    print("the whole worker, under gunicorn" if whole else "the gateway app, called as WSGI", flush=True)
    per = {}
    for metrics in (False, True):
        per[metrics] = (measure(metrics, large) - measure(metrics, small)) / (large - small)
        print(f"metrics {'on ' if metrics else 'off'}: {per[metrics]:,.0f} instructions per webhook", flush=True)
    print(f"metrics cost: {per[True] - per[False]:,.0f} instructions per webhook ({per[True] / per[False] - 1:+.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
