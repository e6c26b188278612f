"""Entry point: `python -m broker` runs the embedded MQTT broker configured from the environment."""

import asyncio
import os
import sys

from broker import logs
from broker.server import serve
from broker.settings import BrokerSettings, SettingsError


def main() -> int:
    """Parse settings, configure logging, serve until stopped; return the exit code."""
    try:
        settings = BrokerSettings.from_env(os.environ)
    except SettingsError as err:
        print(f"broker: refusing to start: {err}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
