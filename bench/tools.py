"""Install the Debian tools the bench drives (wrk) when they are missing."""

import os
import shutil
import subprocess


def ensure(command: str, package: str) -> None:
    """Install package with apt-get unless command is already on PATH; fail with a clear message otherwise."""
    if shutil.which(command):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300, check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], env=env, capture_output=True, timeout=300, check=True)
    except (OSError, subprocess.SubprocessError) as err:
        raise SystemExit(f"bench: {command} is missing and `apt-get install {package}` failed ({err})") from err
    if not shutil.which(command):
        raise SystemExit(f"bench: {command} is still missing after `apt-get install {package}`")
