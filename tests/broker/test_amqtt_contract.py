"""Fail loudly if an amqtt upgrade changes the internals broker/amqtt_core.py overrides or calls."""

import inspect
from importlib.metadata import version

import pytest
from amqtt.adapters import BufferReader
from amqtt.broker import Broker
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.protocol.handler import ProtocolHandler
from amqtt.session import Session

from broker.amqtt_core import RelayBroker, RelayProtocolHandler

BROKER_OVERRIDES = {
    "_client_connected": ["self", "listener_name", "reader", "writer"],
    "_initialize_client_session": ["self", "reader", "writer", "remote_address", "remote_port"],
    "_handle_disconnect": ["self", "client_session", "handler", "disconnect_waiter"],
    "add_subscription": ["self", "subscription", "session"],
    "_del_subscription": ["self", "a_filter", "session"],
    "_del_all_subscriptions": ["self", "session"],
    "_handle_message_delivery": ["self", "client_session", "handler", "wait_deliver"],
    "_broadcast_message": ["self", "session", "topic", "data", "force_qos"],
    "retain_message": ["self", "source_session", "topic_name", "data", "qos"],
}
BROKER_CALLS = ["_authenticate", "_topic_filtering", "_stop_handler", "_sessions", "_servers", "listeners_config"]
HANDLER_OVERRIDES = {"_reader_loop": ["self"], "handle_publish": ["self", "publish_packet"]}
HANDLER_CALLS = [
    "handle_connection_closed",
    "stop",
    "_send_packet",
    "mqtt_publish",
    "init_from_connect",
    "handle_puback",
    "handle_pubrec",
    "handle_pubrel",
    "handle_pubcomp",
    "handle_subscribe",
    "handle_unsubscribe",
    "handle_pingreq",
    "handle_disconnect",
]


def test_amqtt_is_the_pinned_version() -> None:
    assert version("amqtt") == "0.12.1"


@pytest.mark.parametrize(("name", "params"), sorted(BROKER_OVERRIDES.items()))
def test_broker_methods_we_override_keep_their_signature(name: str, params: list[str]) -> None:
    assert list(inspect.signature(getattr(Broker, name)).parameters) == params
    assert getattr(RelayBroker, name) is not getattr(Broker, name)


@pytest.mark.parametrize(("name", "params"), sorted(HANDLER_OVERRIDES.items()))
def test_handler_methods_we_override_keep_their_signature(name: str, params: list[str]) -> None:
    assert list(inspect.signature(getattr(ProtocolHandler, name)).parameters) == params


def test_broker_internals_we_call_still_exist() -> None:
    source = inspect.getsource(Broker)
    for name in BROKER_CALLS:
        assert f"self.{name}" in source, name


def test_handler_internals_we_call_still_exist() -> None:
    for name in HANDLER_CALLS:
        assert hasattr(RelayProtocolHandler, name), name
    assert issubclass(RelayProtocolHandler, BrokerProtocolHandler)


def test_session_exposes_what_we_read_and_write() -> None:
    session = Session()
    for name in (
        "client_id",
        "username",
        "password",
        "clean_session",
        "keep_alive",
        "will_flag",
        "will_topic",
        "parent",
        "attributes",
        "transitions",
    ):
        assert hasattr(session, name), name
    assert session.transitions.state == "new"


def test_amqtt_message_loop_calls_the_hooks_we_override() -> None:
    loop_source = inspect.getsource(Broker._client_message_loop) + inspect.getsource(Broker._handle_subscription)
    for hook in ("_handle_disconnect", "_handle_message_delivery", "add_subscription", "_handle_unsubscription"):
        assert hook in loop_source, hook
    assert "_initialize_client_session" in inspect.getsource(Broker._client_connected)
    assert "_del_subscription" in inspect.getsource(Broker._handle_unsubscription)


async def _read_all(reader: BufferReader) -> bytes:
    return await reader.read(-1)


def test_buffer_reader_replays_bytes() -> None:
    import asyncio

    assert asyncio.run(_read_all(BufferReader(b"abc"))) == b"abc"
