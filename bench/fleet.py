"""Drive the device simulator processes (bench/devices.py) from the bench runner."""

import base64
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from tests.support.processes import ROOT

KEEPALIVE_S = 60


@dataclass
class Connected:
    """The outcome of connecting devices: how many got their SUBACK, and how long the slowest took."""

    wanted: int
    subscribed: int
    elapsed_s: float
    refusals: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Return True when every wanted device is subscribed."""
        return self.subscribed >= self.wanted


@dataclass
class Seen:
    """What the devices received since the last reset."""

    received: int
    latencies_us: list[int]
    cpu_s: float


@dataclass
class Receipts:
    """Messages with an id received since the last reset: how often each id arrived, and where it should not have."""

    counts: bytearray  # counts[id]: times the message with that id was received (255 means 255 or more)
    labelled: int  # messages received that carried an id
    misrouted: int  # messages whose "to" or topic named another token than the receiving device's
    misrouted_examples: list[tuple[int, str]]  # (message id, token of the device that received it), a few
    dropped: list[int]  # devices (by index) whose connection ended after they had subscribed, since they started


class DeviceFleet:
    """Devices spread over a few simulator processes (one asyncio loop each), addressed as one fleet."""

    def __init__(
        self, prefix: str, processes: int = 1, keepalive_s: int = KEEPALIVE_S, anonymous: bool = False, ng: bool = False
    ) -> None:
        """Start the simulator processes; no device connects yet (ng: AWTRIX NG clocks that answer their commands)."""
        login = "anonymous" if anonymous else "token"
        self.prefix = prefix
        self.count = 0
        self._procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.devices", prefix, str(keepalive_s), login, *(["ng"] if ng else [])],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                bufsize=1,
            )
            for _ in range(processes)
        ]

    @property
    def pids(self) -> list[int]:
        """Return the simulator process ids."""
        return [proc.pid for proc in self._procs]

    def grow(self, host: str, port: int, total: int, timeout_s: float) -> Connected:
        """Connect devices count..total-1 at once, and wait until all are subscribed or timeout_s passes."""
        return self._connect(host, port, total, again=False, timeout_s=timeout_s)

    def storm(self, host: str, port: int, total: int, timeout_s: float) -> Connected:
        """Connect every known device again and the new ones up to total, all at once (a reconnect storm)."""
        return self._connect(host, port, total, again=True, timeout_s=timeout_s)

    def wait_lost(self, timeout_s: float) -> int:
        """Wait until every device has seen its connection close; return how many are still open."""
        return sum(reply["open"] for reply in self._ask_each([{"cmd": "wait_lost", "timeout_s": timeout_s}] * len(self._procs)))

    def shrink(self, total: int, timeout_s: float) -> int:
        """Disconnect every device numbered total or above; return how many of them are still open after timeout_s."""
        self.count = min(self.count, total)
        commands = [{"cmd": "shrink", "total": total, "timeout_s": timeout_s}] * len(self._procs)
        return sum(reply["open"] for reply in self._ask_each(commands))

    def reset(self) -> None:
        """Forget what the devices have received so far."""
        self._ask_each([{"cmd": "reset"}] * len(self._procs))

    def seen(self) -> Seen:
        """Return what the devices received since the last reset."""
        replies = self._ask_each([{"cmd": "stats"}] * len(self._procs))
        latencies = [value for reply in replies for value in reply["latencies_us"]]
        return Seen(sum(r["received"] for r in replies), latencies, sum(r["cpu_s"] for r in replies))

    def receipts(self) -> Receipts:
        """Return, over every simulator process, what was received per message id since the last reset."""
        replies = self._ask_each([{"cmd": "receipts"}] * len(self._procs))
        counts = bytearray()
        for reply in replies:
            theirs = base64.b64decode(reply["counts"])
            if len(theirs) > len(counts):
                counts.extend(bytes(len(theirs) - len(counts)))
            for message_id, times in enumerate(theirs):
                if times:
                    counts[message_id] = min(counts[message_id] + times, 255)
        return Receipts(
            counts,
            sum(r["labelled"] for r in replies),
            sum(r["misrouted"] for r in replies),
            [(int(i), str(token)) for r in replies for i, token in r["misrouted_examples"]],
            sorted(index for r in replies for index in r["dropped"]),
        )

    def subscribed(self) -> int:
        """Return how many devices are currently subscribed."""
        return sum(reply["subscribed"] for reply in self._ask_each([{"cmd": "stats"}] * len(self._procs)))

    def close(self) -> None:
        """Disconnect every device and end the simulator processes."""
        for proc in self._procs:
            if proc.poll() is None and proc.stdin is not None:
                try:
                    proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
        for proc in self._procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()

    def _connect(self, host: str, port: int, total: int, again: bool, timeout_s: float) -> Connected:
        new = list(range(self.count, total))
        self.count = max(self.count, total)
        share = len(self._procs)
        commands = [
            {"cmd": "connect", "host": host, "port": port, "indices": new[i::share], "again": again, "timeout_s": timeout_s}
            for i in range(share)
        ]
        return self._connected(self._ask_each(commands))

    def _ask_each(self, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Send to every process first so they work in parallel, then collect the replies.
        for proc, command in zip(self._procs, commands, strict=True):
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(command) + "\n")
            proc.stdin.flush()
        replies = []
        for proc in self._procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"device simulator {proc.pid} exited (code {proc.poll()})")
            replies.append(json.loads(line))
        return replies

    def _connected(self, replies: list[dict[str, Any]]) -> Connected:
        started = min(reply["started_at"] for reply in replies)
        finished = max(reply["last_subscribed_at"] for reply in replies)
        refusals: dict[str, int] = {}
        for reply in replies:
            for reason, count in reply["refusals"].items():
                refusals[reason] = refusals.get(reason, 0) + count
        return Connected(
            wanted=sum(r["wanted"] for r in replies),
            subscribed=sum(r["subscribed"] for r in replies),
            elapsed_s=max(0.0, finished - started),
            refusals=refusals,
        )
