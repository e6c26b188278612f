"""What the worker counts per client address, and which connections it closes when it is full."""

import socket

import pytest

from gateway.serving.connections import AddressCounts, Client, address_key, to_close_for_room
from gateway.serving.requests import RequestReader


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
    ],
)
def test_an_address_counts_as_itself_and_ipv6_by_its_64(host: str, key: str) -> None:
    assert address_key(host) == key


def test_an_address_holds_at_most_its_cap_and_gets_its_places_back() -> None:
    counts = AddressCounts(cap=2)
    assert counts.admit("192.0.2.7") == (True, "192.0.2.7")
    assert counts.admit("192.0.2.7")[0] and counts.admit("192.0.2.8")[0]
    assert counts.admit("192.0.2.7") == (False, None)
    counts.release("192.0.2.7")
    assert counts.admit("192.0.2.7")[0]
    for _ in range(2):
        counts.release("192.0.2.7")
    counts.release("192.0.2.8")
    assert len(counts) == 0  # nothing kept for an address once it holds nothing


@pytest.mark.parametrize("host", ["192.0.2.7", ""])
def test_no_cap_or_no_address_counts_nothing(host: str) -> None:
    counts = AddressCounts(cap=0 if host else 1)
    assert all(counts.admit(host) == (True, None) for _ in range(5)) and len(counts) == 0


def client(at: float, answered: bool = False, started: float | None = None, **state: object) -> Client:
    """A client in a given state, with a socket that is never used."""
    made = Client(socket.socket(), ("192.0.2.7", 1), RequestReader(8192), active_at=at, request_started=started)
    made.answered = answered
    for name, value in state.items():
        setattr(made, name, value)
    return made


def test_a_full_worker_closes_idle_connections_first_then_the_slowest_senders_never_one_being_served() -> None:
    idle_old, idle_new = client(1.0, answered=True), client(5.0, answered=True)
    slow, slower, fresh = client(2.0, started=3.0), client(2.0, started=2.0), client(2.5)
    served, writing = client(0.0, started=0.0, busy=True), client(0.0, answered=True, outbox=b"x")
    clients = [served, writing, slow, idle_new, fresh, slower, idle_old]
    try:
        assert to_close_for_room(clients, 2) == [idle_old, idle_new]
        assert to_close_for_room(clients, 4) == [idle_old, idle_new, slower, fresh]  # a new one counts from its accept
        assert served not in to_close_for_room(clients, 10) and writing not in to_close_for_room(clients, 10)
        assert to_close_for_room([served, writing], 3) == []
    finally:
        for each in clients:
            each.sock.close()
