"""Run the real embedded broker (RelayBroker) in a background thread on 127.0.0.1 port 0."""

import asyncio
import threading
from dataclasses import replace

from broker.amqtt_core import RelayBroker
from broker.metrics_listener import MetricsListener
from broker.settings import BrokerSettings

TEST_SECRET = "test-gateway-secret"


class EmbeddedBroker:
    """A RelayBroker with its own event loop thread; start() returns once it listens."""

    def __init__(self, **overrides: object) -> None:
        """Remember the settings; overrides replace BrokerSettings fields."""
        base = BrokerSettings(host="127.0.0.1", mqtt_port=0, gateway_secret=TEST_SECRET)
        self.settings = replace(base, **overrides)
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self.broker: RelayBroker | None = None
        self.metrics: MetricsListener | None = None  # with metrics_port=0: its port is self.metrics.port

    def start(self) -> "EmbeddedBroker":
        """Start the broker thread and wait until the listener is bound."""
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("embedded broker did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("embedded broker failed to start") from self._error
        return self

    def stop(self) -> None:
        """Shut the broker down and join its thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def call(self, func: object) -> object:
        """Run a plain function on the broker's loop and return its result (to inspect state safely)."""
        assert self._loop is not None

        async def wrapper() -> object:
            return func()  # type: ignore[operator]

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(5)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # reported to start() through _error
            self._error = err
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.broker = RelayBroker(self.settings)
        await self.broker.start()
        self.port = self.broker.port
        if self.settings.metrics_port is not None:  # as broker/server.py does
            self.metrics = MetricsListener.start(self.settings, self.broker.hub)
        self._ready.set()
        await self._stop.wait()
        await self.broker.shutdown()
        if self.metrics is not None:
            await self.metrics.close()
