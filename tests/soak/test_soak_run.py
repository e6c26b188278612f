"""`make soak` itself, in miniature: the real processes, a few devices, two seconds at a fixed rate, PASS."""

import os
import subprocess
import sys

from tests.support.processes import ROOT

SHORT = {"SOAK_S": "2", "SOAK_RATE": "100", "SOAK_DEVICES": "20"}


def test_short_soak_passes_and_reports_every_figure(tmp_path: os.PathLike[str]) -> None:
    env = {**os.environ, **SHORT, "SOAK_OUT": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "bench.soak"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=50)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "| requests sent | 200 |" in result.stdout
    assert "| answers 5xx | 0 |" in result.stdout
    assert "| devices subscribed + tokens with no device | 20 + 10 |" in result.stdout
    assert "\nPASS: " in result.stdout


def test_bad_settings_are_all_reported_at_once() -> None:
    env = {**os.environ, "SOAK_S": "0", "SOAK_DEVICES": "many"}
    result = subprocess.run([sys.executable, "-m", "bench.soak"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert "SOAK_S" in result.stderr and "SOAK_DEVICES" in result.stderr
