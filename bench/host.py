"""Facts the bench reads from this machine: open-file limit, memory and CPU of processes, free ports, the kernel's counters."""

import os
import platform
import resource
import shutil
import subprocess
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def raise_open_files() -> int:
    """Raise our soft RLIMIT_NOFILE to the hard limit, which every process we start inherits; return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid: int) -> int:
    """Return a process's resident memory (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """Return the ids of a process's direct children."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_s(pids: list[int]) -> float:
    """Return the CPU seconds (user + system) the given processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def listen_overflows() -> int:
    """Return the kernel's count of connections dropped because a listen queue was full."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for header, values in zip(lines[::2], lines[1::2], strict=False):
        if header.startswith("TcpExt:"):
            return int(dict(zip(header.split(), values.split(), strict=False)).get("ListenOverflows", 0))
    return 0


def machine() -> dict[str, str]:
    """Return the facts PERFORMANCE.md states about the machine."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {
        "cpus": str(os.cpu_count()),
        "cpu model": model,
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "open files": str(resource.getrlimit(resource.RLIMIT_NOFILE)[0]),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def tool_version(command: list[str]) -> str:
    """Return the first line a tool prints about its version, or "absent"."""
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        return "absent"
    result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def machine_busy_s() -> float:
    """Return the CPU seconds all cores of the machine have spent busy since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
