"""`python -m bench.verdicts`: the webhook -> AWTRIX NG /result -> answer phase of `make bench`, alone.

Starts ours (the Procfile's broker and gateway), connects 1,000 simulated NG clocks that answer each command as NG
does, sends 1,000 webhooks/s to them for BENCH_VERDICT_S (10) seconds at a fixed rate and prints the round trip's
p50/p99 beside what the endpoint answered. WEB_CONCURRENCY sets the gunicorn workers (default 2).
"""

import logging
import os
import sys

from bench.figures import Figures, Plan
from bench.report import percentile
from bench.scenario import verdict_round_trip
from bench.systems import Embedded, GatewayShape

PREFIX = "bench-verdict-"


def main() -> int:
    """Run the phase once and print one line of figures."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s bench: %(message)s", stream=sys.stderr)
    plan = Plan(paced_s=float(os.environ.get("BENCH_VERDICT_S") or 10))
    system = Embedded(GatewayShape(int(os.environ.get("WEB_CONCURRENCY") or 2)))
    figures = Figures(system.name)
    try:
        run = verdict_round_trip(system, plan, PREFIX, figures)
    finally:
        system.close()
    answers, latencies = run.answers, run.answers.http_latencies_us
    print(
        f"{plan.rate:,} req/s for {plan.paced_s:.0f} s to {plan.device_counts[1]:,} NG clocks: "
        f"p50 {percentile(latencies, 0.5) / 1000:.1f} ms, p99 {percentile(latencies, 0.99) / 1000:.1f} ms, "
        f"max {percentile(latencies, 1.0) / 1000:.1f} ms; with the clock's ok {answers.delivered:,} "
        f"({answers.delivered_per_s:,.0f}/s), other {answers.other} {answers.other_statuses}, failed {answers.failed}, "
        f"unanswered {answers.unanswered}, late {answers.late_ms:.1f} ms; notes {figures.notes}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
