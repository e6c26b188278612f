"""Where the embedded broker's memory per idle device goes: `python -m bench.memory_sites [devices]`.

Runs the real broker (tests/support/embedded.py) in this process under tracemalloc, connects devices
with the simulator (bench/devices.py), and prints the allocation sites that grew, per device. A
diagnostic for whoever optimises broker/; `make bench` does not run it.
"""

import os
import sys
import tracemalloc

from bench.fleet import DeviceFleet
from bench.host import raise_open_files, rss_kib
from tests.support.embedded import EmbeddedBroker

TOP = 20


def main() -> None:
    """Print the top allocation sites per idle device, grouped by file and line."""
    devices = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    raise_open_files()
    tracemalloc.start(1)
    broker = EmbeddedBroker().start()
    fleet = DeviceFleet("bench-memory-", 1)
    try:
        rss_before = rss_kib(os.getpid())
        before = tracemalloc.take_snapshot()
        connected = fleet.grow("127.0.0.1", broker.port, devices, 120)
        after = tracemalloc.take_snapshot()
        rss_after = rss_kib(os.getpid())
    finally:
        fleet.close()
        broker.stop()
    count = max(connected.subscribed, 1)
    stats = after.compare_to(before, "lineno")
    traced = sum(stat.size_diff for stat in stats)
    print(f"{connected.subscribed:,} devices: RSS +{(rss_after - rss_before) * 1024 / count:,.0f} B/device, "
          f"traced Python allocations +{traced / count:,.0f} B/device; top sites (bytes per device):")  # fmt: skip
    for stat in stats[:TOP]:
        frame = stat.traceback[0]
        print(f"  {stat.size_diff / count:8,.0f}  {stat.count_diff / count:5.1f} blocks  {_short(frame.filename)}:{frame.lineno}")
    print("by file (bytes per device):")
    for stat in after.compare_to(before, "filename")[:TOP // 2]:
        print(f"  {stat.size_diff / count:8,.0f}  {_short(stat.traceback[0].filename)}")


def _short(filename: str) -> str:
    return filename.split("site-packages/")[-1].split("lib/python3.11/")[-1].removeprefix(os.getcwd() + "/")


if __name__ == "__main__":
    main()
