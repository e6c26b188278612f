"""Turn the figures of every system into one Markdown table, with the reference ratios and the targets."""

from collections.abc import Callable
from dataclasses import dataclass

from bench.figures import Figures, MetricsCost, Plan, Run

TARGET_DELIVERED_PER_S = 3_000
TARGET_TIMES_RABBITMQ = 3.0
TARGET_LARGE_SHARE = 0.85
TARGET_P99_MS = 20.0
TARGET_BYTES_PER_DEVICE = 25_000
TARGET_STORM_S = 30.0
TARGET_METRICS_COST = 0.05
RATE_TOLERANCE = 0.95  # a fixed-rate run delivering less than this share of its rate did not hold the rate

Getter = Callable[[Figures], float | str | None]  # a str is shown as is, without a ratio


@dataclass
class Row:
    """One line of the table: a label, how to read the figure from a system, digits, and the target if any."""

    label: str
    get: Getter
    digits: int = 0
    target: str = ""


@dataclass
class Verdict:
    """One target: what it asks, what was measured, whether it is met."""

    target: str
    measured: str
    met: bool


def percentile(values: list[int], share: float) -> float:
    """Return the nearest-rank value below which share of the values lie (NaN when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))])


def _number(value: float | str | None, digits: int) -> str:
    if isinstance(value, str):
        return value
    if value is None or value != value:  # missing, or NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def _throughput(count: int, read: Callable[[Run], float]) -> Getter:
    def get(figures: Figures) -> float | None:
        run = figures.throughput.get(count)
        return read(run) if run else None

    return get


def _loss(count: int) -> Getter:
    def get(figures: Figures) -> float | None:
        runs = figures.blasts.get(count)
        return sum(run.loss for run in runs) if runs else None

    return get


def _per_webhook(run: Run, cpu_s: float) -> float | None:
    return cpu_s / run.answers.delivered * 1e6 if run.answers.delivered and cpu_s else None


def _memory(figures: Figures) -> float | None:
    per_device = figures.memory.per_device_bytes if figures.memory else None
    return per_device / 1000 if per_device is not None else None


def _storm(figures: Figures) -> float | str | None:
    storm = figures.storm
    if storm is None:
        return None
    if storm.subscribed < storm.devices:
        return f"> {storm.seconds:.0f} ({storm.subscribed:,} subscribed by then)"
    return storm.seconds


def _latency(share: float) -> Getter:
    def get(figures: Figures) -> float | None:
        return percentile(figures.latency.latencies_us, share) / 1000 if figures.latency else None

    return get


def _round_trip(share: float) -> Getter:
    def get(figures: Figures) -> float | None:
        run = figures.verdicts
        return percentile(run.answers.http_latencies_us, share) / 1000 if run else None

    return get


def _metrics(read: Callable[[MetricsCost], float | str | None]) -> Getter:
    def get(figures: Figures) -> float | str | None:
        return read(figures.metrics_cost) if figures.metrics_cost and figures.metrics_cost.on else None

    return get


def _cost_percent(cost: MetricsCost) -> float | None:
    return cost.cost * 100 if cost.cost is not None else None


def targets(plan: Plan) -> dict[str, str]:
    """Return the issue's targets, keyed by a short name."""
    small = plan.device_counts[0]
    return {
        "rate": f">= {TARGET_DELIVERED_PER_S:,}/s and >= {TARGET_TIMES_RABBITMQ:.0f}x RabbitMQ",
        "loss": "0 in every run",
        "scale": f">= {TARGET_LARGE_SHARE:.0%} of the {small:,}-device figure",
        "p99": f"<= {TARGET_P99_MS:.0f} ms, rate held",
        "verdict p99": f"<= {TARGET_P99_MS:.0f} ms with the clock's answer, rate held",
        "memory": f"<= {TARGET_BYTES_PER_DEVICE / 1000:.0f} KB",
        "storm": f"<= {TARGET_STORM_S:.0f} s",
        "metrics": f"< {TARGET_METRICS_COST:.0%}".replace("%", " %"),
    }


def rows(plan: Plan) -> list[Row]:
    """Return every row of the table."""
    _, middle, large = plan.device_counts
    goal = targets(plan)
    result: list[Row] = []
    for count in plan.device_counts:
        rate_goal = {middle: goal["rate"], large: goal["scale"]}.get(count, "")
        loss_goal = goal["loss"] if count == middle else ""
        result += [
            Row(f"webhooks answered delivered:true /s, {count:,} devices",
                _throughput(count, lambda r: r.answers.delivered_per_s), 0, rate_goal),
            Row(f"messages received by devices /s, {count:,} devices", _throughput(count, lambda r: r.received_per_s)),
            Row(f"loss (delivered:true - received), every run with {count:,} devices", _loss(count), 0, loss_goal),
        ]  # fmt: skip
    per = f"CPU µs per delivered webhook, {middle:,} devices"
    result += [
        Row(f"broker {per}", _throughput(middle, lambda r: _per_webhook(r, r.usage.broker))),
        Row(f"HTTP side {per}", _throughput(middle, lambda r: _per_webhook(r, r.usage.http))),
    ]
    at = f"{plan.rate:,} req/s, {middle:,} devices"
    result += [
        Row(f"webhook->device latency p50 ms, {at}", _latency(0.50), 1),
        Row(f"webhook->device latency p99 ms, {at}", _latency(0.99), 1, goal["p99"]),
        Row(f"webhook->device latency max ms, {at}", _latency(1.0), 1),
        Row("delivered:true /s achieved in that fixed-rate run",
            lambda f: f.latency.answers.delivered_per_s if f.latency else None),
        Row(f"webhook->NG clock->/result->answer p50 ms, {plan.rate:,} req/s, {middle:,} NG clocks", _round_trip(0.50), 1),
        Row(f"webhook->NG clock->/result->answer p99 ms, {plan.rate:,} req/s, {middle:,} NG clocks", _round_trip(0.99), 1,
            goal["verdict p99"]),
        Row("answers carrying the clock's {\"ok\":true} /s achieved in that run",
            lambda f: f.verdicts.answers.delivered_per_s if f.verdicts else None),
        Row(f"broker memory per idle device, KB, {large:,} devices", _memory, 1, goal["memory"]),
        Row(f"{large:,} devices connect + subscribe after a broker restart, s", _storm, 1, goal["storm"]),
        Row(f"metrics off / on: delivered:true /s, {middle:,} devices, alternating runs",
            _metrics(lambda c: f"{c.rate(c.off):,.0f} / {c.rate(c.on):,.0f}")),
        Row("metrics off / on: gunicorn's CPU µs per delivered webhook",
            _metrics(lambda c: f"{c.http_us(c.off):,.0f} / {c.http_us(c.on):,.0f}")),
        Row("throughput cost of metrics on (1 - on / off, median over pairs), %", _metrics(_cost_percent), 1, goal["metrics"]),
    ]  # fmt: skip
    return result


def table(ours: Figures, references: list[Figures], ceiling: Figures | None, plan: Plan) -> str:
    """Return the Markdown table: our figure, each reference with ours / theirs, the target and whether it is met."""
    judged = {verdict.target: verdict.met for verdict in verdicts_for(ours, references, plan)}
    others = [*references] + ([ceiling] if ceiling else [])
    head = ["figure", ours.system] + [f"{ref.system} (ours / it)" for ref in others] + ["target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows(plan):
        value = row.get(ours)
        cells = [row.label, _number(value, row.digits)]
        for ref in others:
            theirs = _ceiling_rate(ref, row) if ref is ceiling else row.get(ref)
            numeric = isinstance(value, float | int) and isinstance(theirs, float | int)
            ratio = f" ({value / theirs:.2f}x)" if numeric and value and theirs else ""  # type: ignore[operator]
            cells.append("skipped" if ref.skipped else _number(theirs, row.digits) + ratio)
        met = judged.get(row.target)
        cells += [row.target, "" if met is None else ("met" if met else "**missed**")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ceiling_rate(ceiling: Figures, row: Row) -> float | None:
    # The ceiling publishes nothing and has no devices: only its request rate and its CPU per request mean
    # something, shown on every delivered:true row and on the HTTP-side CPU row.
    if not ceiling.throughput:
        return None
    run = next(iter(ceiling.throughput.values()))
    if row.label.startswith("webhooks answered"):
        return run.answers.delivered_per_s
    if row.label.startswith("HTTP side CPU"):
        return _per_webhook(run, run.usage.http)
    return None


def verdicts_for(ours: Figures, references: list[Figures], plan: Plan) -> list[Verdict]:
    """Judge every target of the issue against our figures."""
    small, middle, large = plan.device_counts
    goal = targets(plan)
    result: list[Verdict] = []
    mid = ours.throughput.get(middle)
    if mid:
        rabbit = next((ref for ref in references if ref.system.startswith("RabbitMQ") and middle in ref.throughput), None)
        rate = mid.answers.delivered_per_s
        times = rate / rabbit.throughput[middle].answers.delivered_per_s if rabbit else None
        met = rate >= TARGET_DELIVERED_PER_S and times is not None and times >= TARGET_TIMES_RABBITMQ
        result.append(Verdict(goal["rate"], f"{rate:,.0f}/s, {_number(times, 2)}x RabbitMQ", met))
    runs = [run for runs in ours.blasts.values() for run in runs] + ([ours.latency] if ours.latency else [])
    losses = [run.loss for run in runs]
    unanswered = sum(run.answers.unanswered for run in runs)
    result.append(Verdict(goal["loss"], f"loss per run {losses}, unanswered {unanswered}", bool(runs) and not any(losses)))
    if small in ours.throughput and large in ours.throughput:
        share = ours.throughput[large].answers.delivered_per_s / max(ours.throughput[small].answers.delivered_per_s, 1e-9)
        result.append(Verdict(goal["scale"], f"{share:.0%}", share >= TARGET_LARGE_SHARE))
    if ours.latency:
        p99 = percentile(ours.latency.latencies_us, 0.99) / 1000
        held = ours.latency.answers.delivered_per_s >= RATE_TOLERANCE * plan.rate
        measured = f"{p99:,.1f} ms, rate {'held' if held else 'NOT held'}"
        result.append(Verdict(goal["p99"], measured, held and p99 <= TARGET_P99_MS))
    if ours.verdicts:
        run = ours.verdicts
        p99 = percentile(run.answers.http_latencies_us, 0.99) / 1000
        held = run.answers.delivered_per_s >= RATE_TOLERANCE * plan.rate
        measured = f"{p99:,.1f} ms, rate {'held' if held else 'NOT held'}"
        result.append(Verdict(goal["verdict p99"], measured, held and p99 <= TARGET_P99_MS))
    if ours.memory and ours.memory.per_device_bytes is not None:
        per_device = ours.memory.per_device_bytes
        met = per_device <= TARGET_BYTES_PER_DEVICE and ours.memory.devices >= large
        result.append(Verdict(goal["memory"], f"{per_device / 1000:.1f} KB per device ({ours.memory.devices:,} devices)", met))
    cost = ours.metrics_cost
    if cost is not None and cost.cost is not None:
        measured = (
            f"{cost.cost:.1%} (median over {len(cost.runs) // 2} alternating pairs of runs); medians "
            f"{cost.rate(cost.on):,.0f} vs {cost.rate(cost.off):,.0f} delivered:true /s; {cost.scrapes} scrapes, "
            f"{cost.series} series served"
        )
        result.append(Verdict(goal["metrics"], measured, cost.cost < TARGET_METRICS_COST))
    if ours.storm:
        met = ours.storm.subscribed >= large and ours.storm.seconds <= TARGET_STORM_S
        measured = f"{ours.storm.subscribed:,}/{large:,} subscribed in {ours.storm.seconds:.1f} s"
        result.append(Verdict(goal["storm"], measured, met))
    return result


def details(all_figures: list[Figures]) -> str:
    """Return a Markdown table of every load phase: answers, receptions, and who used the CPU."""
    lines = [
        "| system | phase | devices | sent | delivered:true | 202 | 5xx | other | unanswered | received | "
        "CPU s: broker / HTTP (per worker) / devices / load generator / rest of machine | wall s |",
        "|" + "---|" * 12,
    ]
    for figures in all_figures:
        phases = [
            (f"wrk, as fast as answered ({count:,}){', the median' if run is figures.throughput[count] else ''}", run)
            for count, runs in figures.blasts.items()
            for run in runs
        ]
        if figures.latency:
            phases.append(("paced, fixed rate", figures.latency))
        if figures.verdicts:
            phases.append(("paced, NG clocks answering", figures.verdicts))
        if figures.metrics_cost:
            phases += [(f"wrk, metrics {'on' if on else 'off'}", run) for on, run in figures.metrics_cost.runs]
        for phase, run in phases:
            a, u = run.answers, run.usage
            split = f" ({'+'.join(f'{w:.1f}' for w in u.workers)})" if len(u.workers) > 1 else ""
            cpu = f"{u.broker:.1f} / {u.http:.1f}{split} / {u.devices:.1f} / {u.load:.1f} / {u.others:.1f}"
            other = _others(a.other, a.other_statuses)
            lines.append(
                f"| {figures.system} | {phase} | {run.devices:,} | {a.sent:,} | {a.delivered:,} | {a.undelivered:,} | "
                f"{a.failed:,} | {other} | {a.unanswered:,} | {run.received:,} | {cpu} | {u.wall_s:.1f} |"
            )
    return "\n".join(lines)


def _others(count: int, statuses: dict[str, int]) -> str:
    if not count:
        return "0"
    return f"{count:,} (" + ", ".join(f"{n:,}x {status}" for status, n in sorted(statuses.items())) + ")"


def notes(all_figures: list[Figures]) -> list[str]:
    """Return a line per skipped system, per note, and per restart storm."""
    lines = []
    for figures in all_figures:
        if figures.skipped:
            lines.append(f"- {figures.system}: skipped: {figures.skipped}")
        lines += [f"- {figures.system}: {note}" for note in figures.notes]
        if figures.metrics_cost:
            lines += [f"- {figures.system}, metrics cost: {note}" for note in figures.metrics_cost.notes]
        if figures.storm:
            s = figures.storm
            lines.append(
                f"- {figures.system}: restart storm: {s.subscribed:,}/{s.devices:,} subscribed in {s.seconds:.1f} s; "
                f"{s.listen_overflows:,} connection attempts dropped by a full listen queue; broker CPU {s.broker_cpu_s:.1f} s"
            )
    return lines


def render(ours: Figures, references: list[Figures], ceiling: Figures | None, plan: Plan, setup: str, extras: list[str]) -> str:
    """Return the whole printed report: setup line, table, targets, notes, every phase, extra sections."""
    everything = [ours, *references] + ([ceiling] if ceiling else [])
    parts = [setup, "", table(ours, references, ceiling, plan), "", "Targets:"]
    parts += [f"- {'met' if v.met else 'MISSED'}: {v.target}: {v.measured}" for v in verdicts_for(ours, references, plan)]
    parts += ["", "Notes:", *notes(everything), "", "Every load phase:", "", details(everything)]
    parts += ["\n" + extra for extra in extras if extra]
    return "\n".join(parts)
