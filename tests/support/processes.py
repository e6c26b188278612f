"""Start the real broker and gunicorn processes the way the Procfile does, and read their output."""

import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_S = 20.0
# Tests that poll the gateway for the broker's truth would trip the per-token limit; the limits have their own tests.
POLLING_LIMITS = {"RATE_LIMIT_PER_TOKEN": "1000 per second"}


class Process:
    """A child process whose merged stdout/stderr is captured line by line."""

    def __init__(self, args: list[str], env: Mapping[str, str], drop: tuple[str, ...] = (), new_session: bool = False) -> None:
        """Start the process in the repository root with our environment, less drop, plus env.

        With new_session, it leads its own process group, so interrupt() reaches all its children, as Ctrl-C does.
        """
        inherited = {name: value for name, value in os.environ.items() if name not in drop}
        full_env = {**inherited, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env}
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
        )
        self.lines: list[str] = []
        self.lingered = False  # a child kept running after the process itself stopped
        self._new_session = new_session
        self._new: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def wait_for(self, pattern: str, timeout: float = START_S) -> re.Match[str]:
        """Return the first output line matching pattern (including lines already seen)."""
        regex = re.compile(pattern)
        for line in list(self.lines):
            if match := regex.search(line):
                return match
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._new.get(timeout=left)
            except queue.Empty:
                break
            if line is None:  # the process closed its output: it has exited
                break
            if match := regex.search(line):
                return match
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n{self.output}")

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return "".join(self.lines)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send sig, wait for the exit and the last output, and return the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        return self._wait(timeout)

    def interrupt(self, timeout: float = 15.0) -> int:
        """Press Ctrl-C: SIGINT to the whole process group; return the exit code."""
        os.killpg(self.popen.pid, signal.SIGINT)
        return self._wait(timeout)

    def _wait(self, timeout: float) -> int:
        try:
            code = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            code = self.popen.wait()
        # The output ends when every process holding it (children included) has exited.
        self._reader.join(timeout)
        self.lingered = self._reader.is_alive()
        if self.lingered and self._new_session:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self._reader.join(5)
        if self.popen.stdout is not None and not self._reader.is_alive():
            self.popen.stdout.close()
        return code

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line)
            self._new.put(line)
        self._new.put(None)


def procfile_command(process_type: str) -> list[str]:
    """Return the command the Procfile gives for a process type, so tests start exactly what users start."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            return shlex.split(command)
    raise KeyError(process_type)


def start_broker(env: Mapping[str, str]) -> tuple[Process, int]:
    """Run the Procfile's broker on 127.0.0.1 port 0 and return it with its bound port."""
    process = Process(procfile_command("broker"), {"HOST": "127.0.0.1", "MQTT_PORT": "0", **env})
    return process, _port_or_stop(process, r"MQTT broker listening on [\d.]+:(\d+)")


def start_gateway(env: Mapping[str, str], workers: int = 3) -> tuple[Process, int]:
    """Run the Procfile's web process on 127.0.0.1 port 0 and return it with its bound port."""
    settings = {"HOST": "127.0.0.1", "PORT": "0", "WEB_CONCURRENCY": str(workers), **env}
    process = Process(procfile_command("web"), settings)
    return process, _port_or_stop(process, r"Listening at: http://[\d.]+:(\d+)")


def _port_or_stop(process: Process, pattern: str) -> int:
    try:
        return int(process.wait_for(pattern).group(1))
    except BaseException:
        process.stop()
        raise
