"""Drive webhooks at an HTTP endpoint: as fast as it answers (wrk) or at a fixed rate (bench/paced.py)."""

import json
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import ROOT

WRK_SCRIPT = Path(__file__).with_name("webhook.lua")
WRK_THREADS = 2
WRK_GRACE_S = 1


@dataclass(frozen=True)
class Endpoint:
    """Where webhooks go and how they are spelled: "gateway" (ours or the ceiling app) or "rabbitmq"."""

    kind: str
    port: int
    authorization: str = ""
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        """Return the base URL."""
        return f"http://{self.host}:{self.port}"


@dataclass
class Answers:
    """How the endpoint answered the webhooks of one run."""

    sent: int
    delivered: int  # 200 with "delivered": true (RabbitMQ: "routed": true)
    undelivered: int  # 202 no_device_connected (RabbitMQ: "routed": false)
    failed: int  # 5xx
    other: int  # any other answer
    unanswered: int  # sent but no answer before the generator stopped
    seconds: float  # wrk: how long webhooks were sent; paced: from the first send to the last answer
    cpu_s: float  # CPU the load generator itself used
    http_latencies_us: list[int] = field(default_factory=list)
    other_statuses: dict[str, int] = field(default_factory=dict)  # HTTP status -> count, for "other" answers
    late_ms: float = 0.0  # paced runs: the largest delay of a send behind its schedule
    connections: int = 0  # paced runs: connections opened, i.e. the most requests in flight at once (at least its pool)
    by_id: str = ""  # paced runs with ids: one letter per request, its answer (bench/paced.py ANSWER_CODES)

    @property
    def delivered_per_s(self) -> float:
        """Return delivered webhooks per second."""
        return self.delivered / self.seconds if self.seconds else 0.0


def blast(endpoint: Endpoint, devices: int, prefix: str, seconds: float, connections: int) -> Answers:
    """Send webhooks as fast as the endpoint answers for seconds with wrk, spread over devices round-robin."""
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{max(connections, WRK_THREADS)}", f"-d{int(seconds) + WRK_GRACE_S}s", "--timeout", "5s",
        "-s", str(WRK_SCRIPT), endpoint.url,
        "--", endpoint.kind, str(devices), prefix, str(seconds), endpoint.authorization, str(WRK_THREADS),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH_WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result (exit {result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}")
    raw = json.loads(line.removeprefix("BENCH_WRK "))
    total = {key: int(sum(raw[key])) for key in ("sent", "answered", "delivered", "undelivered", "failed", "other")}
    answered = total["answered"]
    return Answers(
        sent=total["sent"],
        delivered=total["delivered"],
        undelivered=total["undelivered"],
        failed=total["failed"],
        other=total["other"],
        unanswered=total["sent"] - answered,
        seconds=seconds,
        cpu_s=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        other_statuses={str(status): int(count) for status, count in raw["other_statuses"].items()},
    )


def pace(
    endpoint: Endpoint, devices: int, prefix: str, rate: int, seconds: float, ids: bool = False, finish_s: float = 10.0
) -> Answers:
    """Send webhooks at a fixed rate for seconds with bench/paced.py, and wait up to finish_s for every answer.

    With ids, request n carries message id n and its token in the payload, and the answers come back by id.
    """
    command = [
        sys.executable, "-m", "bench.paced", endpoint.kind, endpoint.host, str(endpoint.port), endpoint.authorization,
        str(devices), prefix, str(rate), str(seconds), *(["ids", str(finish_s)] if ids else []),
    ]  # fmt: skip
    timeout_s = seconds + finish_s + 50
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"bench.paced failed (exit {result.returncode}): {result.stderr[-1000:]}")
    return Answers(**json.loads(result.stdout))
