"""What the metrics cost: wrk runs at 1,000 devices against a gateway with metrics off and one with them on, alternately.

One broker (METRICS_PORT on) and its devices; two gateways of the same shape in front of it, one with
GATEWAY_METRICS_PORT set, one without; wrk alternates between them (off, on, on, off, ...) so a machine whose
speed drifts favours neither. While the metered gateway is loaded, both /metrics are scraped every second,
fifteen times as often as Prometheus would. The cost is the median over the pairs of runs of 1 - on / off.
"""

import logging
import secrets
import threading
import urllib.request

from bench.figures import Figures, MetricsCost, Plan
from bench.fleet import DeviceFleet
from bench.load import Endpoint, blast
from bench.scenario import connect, loaded
from bench.systems import GatewayShape, System, gateway_pids, wait_connected
from tests.support.processes import Process, start_broker, start_gateway

log = logging.getLogger("bench")
LISTENING = r"metrics listening on http://[\d.]+:(\d+)"
SCRAPE_EVERY_S = 1.0


class Gateway(System):
    """One of the two gateways, with the shared broker: what bench.scenario.loaded() measures."""

    def __init__(self, name: str, process: Process, port: int, broker: Process, mqtt_port: int) -> None:
        """Describe a started gateway."""
        self.name, self.gateway, self.broker, self.mqtt_port = name, process, broker, mqtt_port
        self.endpoint = Endpoint("gateway", port)

    def broker_pids(self) -> list[int]:
        """Return the broker's process id."""
        return [self.broker.popen.pid]

    def gateway_pids(self) -> list[int]:
        """Return gunicorn's processes."""
        return gateway_pids(self.gateway)


class Scraper:
    """Scrape some /metrics every SCRAPE_EVERY_S from a thread until stopped."""

    def __init__(self, ports: list[int]) -> None:
        """Start scraping."""
        self.ports, self.scrapes, self.last = ports, 0, b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop scraping."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(SCRAPE_EVERY_S):
            for port in self.ports:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
                    body = answer.read()
                self.scrapes += 1
                if port == self.ports[0]:
                    self.last = body


def measure_metrics_cost(shape: GatewayShape, plan: Plan, prefix: str) -> MetricsCost:
    """Run the alternating wrk runs at the middle device count and return them."""
    log.info("=== metrics off vs on, %s devices", plan.device_counts[1])
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24), "METRICS_PORT": "0"}
    broker, mqtt_port = start_broker(env)
    env = {**env, "MQTT_PORT": str(mqtt_port)}
    started: list[Process] = [broker]
    fleet = DeviceFleet(prefix, plan.simulators)
    result = MetricsCost()
    try:
        broker_metrics = int(broker.wait_for(LISTENING).group(1))
        gateways = {}
        for metered in (False, True):
            settings = {k: v for k, v in {**env, **shape.env()}.items() if k != "METRICS_PORT"}
            process, port = start_gateway({**settings, **({"GATEWAY_METRICS_PORT": "0"} if metered else {})}, shape.workers)
            started.append(process)
            wait_connected(process, shape.workers, 0, 30)
            gateways[metered] = Gateway(f"metrics {'on' if metered else 'off'}", process, port, broker, mqtt_port)
        gateway_metrics = int(gateways[True].gateway.wait_for(LISTENING).group(1))
        devices = plan.device_counts[1]
        connected = Figures("metrics cost")
        connect(fleet, gateways[False], devices, connected)
        result.notes += connected.notes
        for pair in range(plan.repeats + 1):  # 4 pairs in the full run, 2 in BENCH_QUICK
            for metered in (False, True) if pair % 2 == 0 else (True, False):
                system = gateways[metered]
                scraper = Scraper([gateway_metrics, broker_metrics]) if metered else None
                drive = lambda system=system: blast(system.endpoint, devices, prefix, plan.blast_s, plan.connections)  # noqa: E731
                try:
                    run = loaded(system, fleet, devices, drive)
                finally:
                    if scraper is not None:
                        scraper.stop()
                        result.scrapes += scraper.scrapes
                        result.series = sum(1 for line in scraper.last.splitlines() if line and not line.startswith(b"#"))
                result.runs.append((metered, run))
    finally:
        fleet.close()
        for process in reversed(started):
            process.stop()
    return result

