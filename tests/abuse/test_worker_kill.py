"""SIGKILL one gunicorn worker in the middle of a load: the rest keep serving and no delivered answer is a lie."""

import collections
import json
import os
import re
import secrets
import select
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.clients import Client, Clients
from tests.support.http import request
from tests.support.processes import Process, start_broker, start_gateway
from tests.support.relays import Relay

TOKEN = "Worker-kill-device-0001"
WORKERS = 3
THREADS = 6
LOAD_S = 3.0
GUNICORN_TIMEOUT_S = 5
CLIENT_TIMEOUT_S = GUNICORN_TIMEOUT_S + 2  # a request that hangs past gunicorn's timeout shows up as TimeoutError
ANSWERS_BEFORE_KILL = 20
WAIT_S = 20.0
# What a client sees when the worker holding its connection dies: the connection ends, nothing else.
CONNECTION_ERRORS = ("ConnectionResetError", "RemoteDisconnected", "BrokenPipeError", "IncompleteRead")


@dataclass(frozen=True)
class Outcome:
    """One webhook of the load: when it ran and how it ended (a status, or the exception's name)."""

    message_id: str
    started: float
    ended: float
    status: int | None
    body: object
    error: str | None

    @property
    def delivered(self) -> bool:
        """True when the gateway answered that a device received the message."""
        return self.status == 200 and self.body == {"delivered": True, "mode": "notify"}


@dataclass
class System:
    """The Procfile's broker and gunicorn gateway, and the gateway's worker pids at start."""

    broker: Process
    gateway: Process
    mqtt_port: int
    http_port: int
    workers: list[int]


def worker_pids(master: int) -> list[int]:
    """Return the pids of the gunicorn master's child processes (its workers)."""
    children: list[int] = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    return sorted(children)


def kill_and_wait(pid: int, timeout: float) -> float:
    """SIGKILL pid, wait (on a pidfd, no polling) until it has died, and return the time of death."""
    pidfd = os.pidfd_open(pid)
    try:
        os.kill(pid, signal.SIGKILL)
        readable, _, _ = select.select([pidfd], [], [], timeout)
        assert readable, f"worker {pid} still alive {timeout} s after SIGKILL"
        return time.monotonic()
    finally:
        os.close(pidfd)


@pytest.fixture
def system() -> Iterator[System]:
    """Broker and a 3-worker gateway, each worker connected to the broker, rate limits out of the way."""
    env = {"GATEWAY_SECRET": secrets.token_urlsafe(24)}
    broker, mqtt_port = start_broker(env)
    gateway: Process | None = None
    try:
        gateway_env = {
            **env,
            "MQTT_PORT": str(mqtt_port),
            "GUNICORN_TIMEOUT_S": str(GUNICORN_TIMEOUT_S),
            "RATE_LIMIT_PER_TOKEN": "100000/minute",
            "RATE_LIMIT_PER_ADDRESS": "100000/minute",
        }
        gateway, http_port = start_gateway(gateway_env, workers=WORKERS)
        workers = []
        for _ in range(WORKERS):
            booted = "|".join(str(pid) for pid in workers) or "0"
            workers.append(int(gateway.wait_for(rf"Booting worker with pid: (?!(?:{booted})\b)(\d+)").group(1)))
        for pid in workers:
            gateway.wait_for(rf"\[{pid}\] \[INFO\] gateway\.publisher: connected to the MQTT broker")
        assert worker_pids(gateway.popen.pid) == sorted(workers)
        yield System(broker, gateway, mqtt_port, http_port, sorted(workers))
    finally:
        if gateway is not None:
            gateway.stop()
        broker.stop()


class Load:
    """THREADS clients sending numbered webhooks back to back until a deadline."""

    def __init__(self, port: int) -> None:
        """Prepare the threads; start() runs them."""
        self.port = port
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self.deadline = 0.0
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(THREADS)]

    def start(self) -> None:
        """Start every client; they stop sending at LOAD_S from now."""
        self.deadline = time.monotonic() + LOAD_S
        for thread in self._threads:
            thread.start()

    def wait_for_answers(self, count: int, timeout: float) -> None:
        """Wait until count webhooks have been answered (any way)."""
        with self._answered:
            assert self._answered.wait_for(lambda: len(self.outcomes) >= count, timeout), self.outcomes[-5:]

    def join(self) -> None:
        """Wait for every client to finish its last request."""
        for thread in self._threads:
            thread.join(LOAD_S + CLIENT_TIMEOUT_S + 5)
            assert not thread.is_alive()

    def _client(self, number: int) -> None:
        for sequence in range(1_000_000):
            if time.monotonic() >= self.deadline:
                return
            self._record(self._send(f"{number}-{sequence}"))

    def _send(self, message_id: str) -> Outcome:
        path = f"/cloud?mode=notify&token={TOKEN}"
        body = json.dumps({"text": message_id}).encode()
        started = time.monotonic()
        try:
            answer = request(self.port, "POST", path, body, {"Content-Type": "application/json"}, timeout=CLIENT_TIMEOUT_S)
        except Exception as err:  # what the client saw is the outcome under test
            return Outcome(message_id, started, time.monotonic(), None, None, type(err).__name__)
        return Outcome(message_id, started, time.monotonic(), answer.status, answer.body, None)

    def _record(self, outcome: Outcome) -> None:
        with self._answered:
            self.outcomes.append(outcome)
            self._answered.notify_all()


def received_ids(device: Client, wanted: set[str]) -> collections.Counter[str]:
    """Wait until every wanted id has reached the device, then count every id it received so far."""
    counts: collections.Counter[str] = collections.Counter()
    deadline = time.monotonic() + WAIT_S
    while not wanted <= set(counts):
        message = device.next_message(timeout=max(0.1, deadline - time.monotonic()))
        counts[json.loads(message.payload)["text"]] += 1
    device.sync()  # whatever else is on its way has arrived, duplicates included
    while not device.messages.empty():
        counts[json.loads(device.messages.get_nowait().payload)["text"]] += 1
    return counts


def test_killing_a_worker_mid_load_loses_only_its_own_requests_and_nothing_delivered(system: System) -> None:
    mqtt = Clients(Relay("embedded", "127.0.0.1", system.mqtt_port, system.mqtt_port, "gateway", ""))
    device = mqtt.device(TOKEN)
    try:
        assert device.subscribe(f"awtrix/{TOKEN}/#", qos=1) == [1]
        load = Load(system.http_port)
        load.start()
        load.wait_for_answers(ANSWERS_BEFORE_KILL, WAIT_S)
        victim = system.workers[0]
        died_at = kill_and_wait(victim, WAIT_S)
        load.join()
        others = "|".join(str(pid) for pid in system.workers)
        respawned = int(system.gateway.wait_for(rf"Booting worker with pid: (?!(?:{others})\b)(\d+)").group(1))
        outcomes = load.outcomes
        delivered = {outcome.message_id for outcome in outcomes if outcome.delivered}
        counts = received_ids(device, delivered)
    finally:
        mqtt.close_all()

    failures = [outcome for outcome in outcomes if not outcome.delivered]
    assert all(outcome.error in CONNECTION_ERRORS or (outcome.status or 0) >= 500 for outcome in failures), failures
    assert len(failures) <= THREADS  # at most one request in flight per client when the worker died
    assert all(outcome.started < died_at for outcome in failures)  # only requests the dead worker held
    assert sum(outcome.delivered for outcome in outcomes if outcome.started > died_at) >= ANSWERS_BEFORE_KILL
    assert max(outcome.ended - outcome.started for outcome in outcomes) < GUNICORN_TIMEOUT_S
    assert re.search(rf"Worker \(pid:{victim}\) was sent SIGKILL", system.gateway.output)
    assert victim not in worker_pids(system.gateway.popen.pid)
    assert respawned in worker_pids(system.gateway.popen.pid)
    assert {message_id: counts[message_id] for message_id in delivered} == dict.fromkeys(delivered, 1)
