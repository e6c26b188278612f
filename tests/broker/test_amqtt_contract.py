"""Fail loudly if an amqtt upgrade changes what broker/amqtt_core.py relies on."""

import asyncio
import inspect
from importlib.metadata import version

from amqtt.broker import Broker
from amqtt.contexts import BrokerConfig, ListenerType

from broker.amqtt_core import RelayBroker, amqtt_config
from broker.settings import BrokerSettings


def test_amqtt_is_the_pinned_version() -> None:
    assert version("amqtt") == "0.12.1"


def test_the_listener_hook_keeps_its_signature_and_is_the_only_way_listeners_are_made() -> None:
    params = list(inspect.signature(Broker._create_server_instance).parameters)
    assert params == ["self", "listener_name", "listener_type", "address", "port", "ssl_context"]
    assert "self._create_server_instance(" in inspect.getsource(Broker._start_listeners)
    assert "self._create_ssl_context(" in inspect.getsource(Broker._start_listeners)
    assert "start_server" not in inspect.getsource(RelayBroker)


def test_servers_keep_their_asyncio_server_as_instance() -> None:
    assert "self._servers[listener_name] = Server(listener_name, instance" in inspect.getsource(Broker._start_listeners)
    assert "close_instance" in inspect.getsource(Broker.shutdown)


def test_an_empty_plugins_section_loads_no_plugin() -> None:
    async def plugins_loaded() -> list[object]:
        broker = RelayBroker(BrokerSettings(host="127.0.0.1", mqtt_port=0, gateway_secret="x" * 16))
        return broker.plugins_manager.plugins

    assert asyncio.run(plugins_loaded()) == []


def test_our_config_is_valid_for_amqtt() -> None:
    config = BrokerConfig.from_dict(amqtt_config(BrokerSettings(host="127.0.0.1", mqtt_port=1883, gateway_secret="x")))
    assert config.listeners["default"].type == ListenerType.TCP
    assert config.listeners["default"]["bind"] == "127.0.0.1:1883"


def test_start_and_shutdown_run_a_real_listener() -> None:
    async def cycle() -> int:
        broker = RelayBroker(BrokerSettings(host="127.0.0.1", mqtt_port=0, gateway_secret="x" * 16))
        await broker.start()
        port = broker.port
        await broker.shutdown()
        return port

    assert asyncio.run(cycle()) > 0
