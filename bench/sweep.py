"""Measure a few more gunicorn shapes at the middle device count, ours and the HTTP ceiling: worker counts, gthread."""

import logging

from bench.figures import Plan
from bench.fleet import DeviceFleet
from bench.load import blast
from bench.scenario import drain
from bench.systems import Ceiling, Embedded, GatewayShape

log = logging.getLogger("bench")
SWEEP_S = 5.0


def parse_shapes(text: str) -> list[GatewayShape]:
    """Parse "3,2x4" into shapes: "3" is 3 of the gateway's workers, "2x4" is gunicorn's gthread, 2 workers x 4 threads."""
    shapes = []
    for item in (item.strip().lower() for item in text.split(",")):
        if "x" in item:
            workers, threads = item.split("x")
            shapes.append(GatewayShape(int(workers), int(threads)))
        elif item:
            shapes.append(GatewayShape(int(item)))
    return shapes


def sweep(text: str, plan: Plan, prefix: str) -> str:
    """Return a Markdown table of delivered webhooks/s per shape (empty when no shape is asked for)."""
    shapes = parse_shapes(text)
    if not shapes:
        return ""
    devices = plan.device_counts[1]
    seconds = min(plan.blast_s, SWEEP_S)
    lines = [
        f"Other gunicorn shapes (workers; AxB: gunicorn's gthread worker, A workers x B threads), {devices:,} devices, "
        f"wrk {seconds:.0f} s each:",
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
