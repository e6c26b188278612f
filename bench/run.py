"""`make bench` (`python -m bench.run`): measure ours and the reference systems in one run and print one table.

Environment: BENCH_QUICK=1 (small counts, about a minute), WEB_CONCURRENCY (gunicorn workers of every gateway,
default 2 as in config/gunicorn.conf.py), BENCH_SHAPES (more shapes measured at the middle device count: "3" is
3 workers, "2x4" gunicorn's gthread worker with 2 workers x 4 threads; empty: none), BENCH_PROFILE=1 (py-spy
profiles of the broker and the gateway workers at the middle device count), BENCH_SKIP (any of
ceiling,metrics,mosquitto,rabbitmq), BENCH_OUT (where report.md and figures.json go).
"""

import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bench import tools
from bench.figures import Figures, Plan
from bench.fleet import DeviceFleet
from bench.host import machine, raise_open_files
from bench.load import blast
from bench.metrics_cost import measure_metrics_cost
from bench.mosquitto import MosquittoSystem
from bench.profile import Profiler
from bench.rabbitmq import RabbitMQSystem, ensure_installed
from bench.report import render
from bench.scenario import Hook, loaded, measure
from bench.sweep import sweep
from bench.systems import Ceiling, Embedded, GatewayShape, System

log = logging.getLogger("bench")
PREFIX = "bench-device-"


def run_system(
    name: str, start: Callable[[], System], plan: Plan, skipped: str | None = None, hook: Hook | None = None
) -> Figures:
    """Start a system, measure it, stop it; a failure becomes a skipped column that says why."""
    if skipped:
        return Figures(name, skipped=skipped)
    log.info("=== %s", name)
    system = None
    try:
        system = start()
        return measure(system, plan, PREFIX, hook)
    except Exception as err:  # one system failing must not lose the others' figures
        log.exception("%s failed", name)
        return Figures(name, skipped=f"failed: {type(err).__name__}: {err}"[:300])
    finally:
        if system is not None:
            system.close()


def measure_ceiling(shape: GatewayShape, plan: Plan) -> Figures:
    """Measure the HTTP ceiling: requests/s of the minimal app under the same gunicorn shape (no devices)."""
    log.info("=== %s", Ceiling.name)
    figures = Figures(Ceiling.name)
    ceiling, fleet = Ceiling(shape), DeviceFleet(PREFIX, 1)
    try:
        drive = lambda: blast(ceiling.endpoint, plan.device_counts[1], PREFIX, plan.blast_s, plan.connections)  # noqa: E731
        for _ in range(plan.repeats):
            figures.add_blast(0, loaded(ceiling, fleet, 0, drive))
    finally:
        fleet.close()
        ceiling.close()
    return figures


def main() -> int:
    """Run everything and print the report; exit 0 whatever the targets say (the report says it)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s bench: %(message)s", stream=sys.stderr)
    started = time.monotonic()
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    plan = Plan.quick() if quick else Plan()
    shape = GatewayShape(int(os.environ.get("WEB_CONCURRENCY") or 2))
    skip = {name.strip() for name in os.environ.get("BENCH_SKIP", "").split(",") if name.strip()}
    out = Path(os.environ.get("BENCH_OUT") or Path(tempfile.gettempdir()) / "awtrix-cloud-bench")
    out.mkdir(parents=True, exist_ok=True)
    raise_open_files()
    facts = machine()
    tools.ensure("wrk", "wrk")
    log.info("plan %s, gunicorn %s", plan, shape)
    profiling = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
    profiler = Profiler(out, PREFIX, plan.blast_s, plan.connections) if profiling else None

    ceiling = None if "ceiling" in skip else measure_ceiling(shape, plan)
    ours = run_system(Embedded.name, lambda: Embedded(shape), plan, hook=profiler)
    if "metrics" not in skip:
        try:
            ours.metrics_cost = measure_metrics_cost(shape, plan, PREFIX)
        except Exception as err:  # the other figures still count
            log.exception("the metrics cost phase failed")
            ours.notes.append(f"metrics off vs on: failed: {type(err).__name__}: {err}"[:300])
    references = [
        run_system(MosquittoSystem.name, lambda: MosquittoSystem(shape), plan, "BENCH_SKIP" if "mosquitto" in skip else None),
        run_system(RabbitMQSystem.name, RabbitMQSystem, plan, "BENCH_SKIP" if "rabbitmq" in skip else ensure_installed()),
    ]
    shapes = sweep(os.environ.get("BENCH_SHAPES", "" if quick else "3,4,2x4"), plan, PREFIX)

    setup = "\n".join([
        f"## awtrix-cloud bench{' (BENCH_QUICK: small counts; the targets are defined for the full run)' if quick else ''}",
        "",
        "Machine: " + "; ".join(f"{key}: {value}" for key, value in facts.items()),
        f"gunicorn {shape} (WEB_CONCURRENCY; the gateway's worker, gateway/serving/); wrk {plan.connections} connections; "
        f"{plan.blast_s:.0f} s per wrk run; each throughput figure is the median of {plan.repeats} wrk run(s) "
        f"(at {plan.device_counts[0]:,} devices: 1 first, then {plan.repeats} alternating with the largest fleet's; "
        "RabbitMQ's back to back); "
        f"{plan.paced_s:.0f} s paced run; "
        f"finished in {time.monotonic() - started:.0f} s",
    ])  # fmt: skip
    report = render(ours, references, ceiling, plan, setup, [shapes, profiler.summary if profiler else ""])
    print(report)
    (out / "report.md").write_text(report + "\n")
    everything = [ours, *references] + ([ceiling] if ceiling else [])
    (out / "figures.json").write_text(json.dumps([asdict(figures) for figures in everything], default=str))
    log.info("finished in %.0f s; report and raw figures in %s", time.monotonic() - started, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
