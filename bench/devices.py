"""A fleet of simulated devices in one asyncio process, driven by JSON commands on stdin (`python -m bench.devices`).

Each command line gets one JSON reply line on stdout. The process holds thousands of raw MQTT
connections (bench/device.py) and costs almost nothing while they are idle. Messages that carry an id
(`make soak`) are also counted per id, compactly: one byte per id, base64 in the "receipts" reply.
"""

import asyncio
import base64
import json
import random
import resource
import sys
import time
from array import array
from collections import Counter
from typing import Any

from bench.device import Device

# Like an ESP32 device (WiFiClient's default connect timeout is 3 s): a TCP connect that has not
# completed within ATTEMPT_S is abandoned and tried again after RETRY_S, rather than left to the
# kernel's exponential SYN retransmission (1, 3, 7, 15, 31, 63 s) when a listen queue overflows.
ATTEMPT_S = 3.0
RETRY_S = (0.5, 1.5)
TICK_S = 1.0
MISROUTED_KEPT = 100  # examples of messages that reached a device they were not addressed to


def token_of(prefix: str, index: int) -> str:
    """Return the token of device number index (a valid token: 12-64 of [A-Za-z0-9_-])."""
    return f"{prefix}{index:06d}"


class Fleet:
    """Every device of this process, with what they have seen since the last reset."""

    def __init__(self, prefix: str, keepalive_s: int, anonymous: bool, ng: bool = False) -> None:
        """Start with no device; ng: the devices are AWTRIX NG clocks that answer their commands."""
        self.ng = ng
        self.prefix = prefix
        self.keepalive_s = keepalive_s
        self.anonymous = anonymous
        self.host = "127.0.0.1"
        self.port = 0
        self.indices: list[int] = []
        self.devices: dict[int, Device] = {}
        self.subscribed_count = 0
        self.last_subscribed_at = 0.0
        self.refusals: Counter[str] = Counter()
        self.received = 0
        self.latencies_us = array("q")
        self.counts_by_id = bytearray()  # times each message id was received, at most 255
        self.labelled = 0
        self.misrouted: list[tuple[int, str]] = []
        self.misrouted_count = 0
        self.dropped: list[int] = []  # devices whose connection ended after they had subscribed
        self.retry_until = 0.0
        self._all_subscribed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribed(self, device: Device) -> None:
        """Count a granted subscription."""
        self.subscribed_count += 1
        self.last_subscribed_at = time.time()
        if self.subscribed_count >= len(self.indices):
            self._all_subscribed.set()

    def refused(self, device: Device, reason: str) -> None:
        """Count a refusal by reason."""
        self.refusals[reason] += 1

    def lost(self, device: Device) -> None:
        """Forget a closed device; retry it while a connect command is still within its deadline."""
        index = int(device.token[len(self.prefix) :])
        if self.devices.get(index) is not device:
            return
        if device.ever_subscribed:
            self.subscribed_count -= 1
            self.dropped.append(index)
        del self.devices[index]
        if time.monotonic() < self.retry_until and not device.ever_subscribed:
            self._spawn(index, random.uniform(*RETRY_S))

    def message(self, device: Device, latency_ns: int | None) -> None:
        """Count a message and keep its latency."""
        self.received += 1
        if latency_ns is not None:
            self.latencies_us.append(latency_ns // 1000)

    def receipt(self, device: Device, message_id: int, addressed_here: bool) -> None:
        """Count a message by id; keep an example when it was addressed to another device."""
        counts = self.counts_by_id
        if message_id >= len(counts):
            counts.extend(bytes(message_id + 1 - len(counts)))
        counts[message_id] = min(counts[message_id] + 1, 255)
        self.labelled += 1
        if not addressed_here:
            self.misrouted_count += 1
            if len(self.misrouted) < MISROUTED_KEPT:
                self.misrouted.append((message_id, device.token))

    async def connect(self, host: str, port: int, indices: list[int], again: bool, timeout_s: float) -> dict[str, Any]:
        """Connect the new devices, and with again every known device not connected, all at once."""
        self.host, self.port = host, port
        started = time.time()
        wanted = [index for index in self.indices if index not in self.devices] if again else []
        wanted += indices
        self.indices.extend(indices)
        self._all_subscribed.clear()
        self.retry_until = time.monotonic() + timeout_s
        for index in wanted:
            self._spawn(index, 0.0)
        if self.subscribed_count < len(self.indices):
            try:
                await asyncio.wait_for(self._all_subscribed.wait(), timeout_s)
            except TimeoutError:
                pass
        self.retry_until = 0.0
        return {
            "wanted": len(self.indices),
            "subscribed": self.subscribed_count,
            "started_at": started,
            "last_subscribed_at": self.last_subscribed_at,
            "refusals": dict(self.refusals),
        }

    async def wait_lost(self, timeout_s: float) -> dict[str, Any]:
        """Wait until every connection has closed (the broker was stopped)."""
        deadline = time.monotonic() + timeout_s
        while self.devices and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return {"open": len(self.devices)}

    async def shrink(self, total: int, timeout_s: float) -> dict[str, Any]:
        """Disconnect (DISCONNECT, then close) every device numbered total or above, and wait until their connections end."""
        leaving = [self.devices.pop(index) for index in list(self.devices) if index >= total]
        self.indices = [index for index in self.indices if index < total]
        for device in leaving:  # gone from self.devices first: lost() neither counts them as dropped nor retries them
            if device.ever_subscribed:
                self.subscribed_count -= 1
            device.close()
        deadline = time.monotonic() + timeout_s
        while any(device.state != "closed" for device in leaving) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return {"open": sum(device.state != "closed" for device in leaving), "subscribed": self.subscribed_count}

    def reset(self) -> dict[str, Any]:
        """Forget the messages counted so far."""
        self.received = 0
        self.latencies_us = array("q")
        self.refusals.clear()
        self.counts_by_id = bytearray()
        self.labelled = self.misrouted_count = 0
        self.misrouted = []
        return {"ok": True}

    def stats(self) -> dict[str, Any]:
        """Return the counts and latencies since the last reset."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "received": self.received,
            "latencies_us": self.latencies_us.tolist(),
            "subscribed": self.subscribed_count,
            "open": len(self.devices),
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }

    def receipts(self) -> dict[str, Any]:
        """Return, since the last reset, the count of each message id received and any misrouted examples."""
        return {
            "counts": base64.b64encode(self.counts_by_id).decode(),
            "labelled": self.labelled,
            "misrouted": self.misrouted_count,
            "misrouted_examples": self.misrouted,
            "dropped": self.dropped,
        }

    def close_all(self) -> dict[str, Any]:
        """Disconnect every device and forget them."""
        for device in list(self.devices.values()):
            device.close()
        self.indices = []
        return {"ok": True}

    async def keep_alive(self) -> None:
        """Ping every device once per 2/3 of its keep-alive, each at its own due time (spread when it connected)."""
        # By due time, not by position in a list: a round-robin over a list that wraps and shrinks skipped some
        # devices for two rounds, longer than the broker's 1.5 x keep-alive, and the broker closed them.
        period_s = self.keepalive_s * 2 / 3
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            for device in list(self.devices.values()):
                if now >= device.ping_due:
                    device.ping()
                    device.ping_due = now + period_s

    def _spawn(self, index: int, delay_s: float) -> None:
        task = asyncio.create_task(self._open(index, delay_s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, index: int, delay_s: float) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        loop = asyncio.get_running_loop()
        device = Device(self, token_of(self.prefix, index), self.keepalive_s, self.anonymous, self.ng)
        device.ping_due = time.monotonic() + random.uniform(0.0, self.keepalive_s * 2 / 3)
        self.devices[index] = device
        left = self.retry_until - time.monotonic()
        try:
            await asyncio.wait_for(loop.create_connection(lambda: device, self.host, self.port), min(max(left, 0.1), ATTEMPT_S))
        except (OSError, TimeoutError):
            device.state = "closed"
            if self.devices.get(index) is device:
                del self.devices[index]
                if time.monotonic() < self.retry_until:
                    self._spawn(index, random.uniform(*RETRY_S))
            return
        if self.devices.get(index) is not device:  # shrunk away while it connected
            device.close()


async def serve(fleet: Fleet) -> None:
    """Answer commands from stdin until "quit" or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    pinger = asyncio.create_task(fleet.keep_alive())
    while line := await reader.readline():
        command = json.loads(line)
        name = command.pop("cmd")
        if name == "quit":
            break
        if name == "connect":
            reply = await fleet.connect(**command)
        elif name == "wait_lost":
            reply = await fleet.wait_lost(**command)
        elif name == "shrink":
            reply = await fleet.shrink(**command)
        else:
            reply = getattr(fleet, name)()
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    pinger.cancel()
    fleet.close_all()
    await asyncio.sleep(0.1)


def main() -> None:
    """Run a fleet: argv = token prefix, keep-alive seconds, "anonymous" or "token", and optionally "ng"."""
    prefix, keepalive_s, login = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    asyncio.run(serve(Fleet(prefix, keepalive_s, login == "anonymous", sys.argv[4:5] == ["ng"])))


if __name__ == "__main__":
    main()
