"""Measure a few more gunicorn shapes (workers x threads) at the middle device count, ours and the HTTP ceiling."""

import logging

from bench.figures import Plan
from bench.fleet import DeviceFleet
from bench.load import blast
from bench.scenario import drain
from bench.systems import Ceiling, Embedded, GatewayShape

log = logging.getLogger("bench")
SWEEP_S = 5.0


def parse_shapes(text: str) -> list[GatewayShape]:
    """Parse "4x4,8x2" into shapes."""
    shapes = []
    for item in text.replace("x", "x").split(","):
        if item.strip():
            workers, threads = item.strip().lower().split("x")
            shapes.append(GatewayShape(int(workers), int(threads)))
    return shapes


def sweep(text: str, plan: Plan, prefix: str) -> str:
    """Return a Markdown table of delivered webhooks/s per shape (empty when no shape is asked for)."""
    shapes = parse_shapes(text)
    if not shapes:
        return ""
    devices = plan.device_counts[1]
    seconds = min(plan.blast_s, SWEEP_S)
    lines = [
        f"Other gunicorn shapes (WEB_CONCURRENCY x GUNICORN_THREADS), {devices:,} devices, wrk {seconds:.0f} s each:",
        "",
        "| shape | ours: delivered:true /s | ours: received /s | HTTP ceiling: req/s | ours ÷ ceiling |",
        "|---|---|---|---|---|",
    ]
    for shape in shapes:
        log.info("gunicorn shape %s", shape)
        ours = Embedded(shape)
        fleet = DeviceFleet(prefix, plan.simulators)
        try:
            fleet.grow("127.0.0.1", ours.mqtt_port, devices, 60)
            answers = blast(ours.endpoint, devices, prefix, seconds, plan.connections)
            received = drain(fleet, answers.delivered).received
        finally:
            fleet.close()
            ours.close()
        ceiling = Ceiling(shape)
        try:
            top = blast(ceiling.endpoint, devices, prefix, seconds, plan.connections).delivered_per_s
        finally:
            ceiling.close()
        rate = answers.delivered_per_s
        lines.append(f"| {shape} | {rate:,.0f} | {received / seconds:,.0f} | {top:,.0f} | {rate / top if top else 0:.2f} |")
    return "\n".join(lines)
