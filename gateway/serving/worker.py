"""The gunicorn worker the gateway runs in: one thread, one event loop, each request served as soon as it is whole.

gunicorn's own workers spend ~0.4 ms of CPU per request on this gateway's machines before Flask runs (thread
hand-offs, re-registering sockets, their general parser and response writer); this one reads requests
without blocking, parses them with llhttp and the gateway's rules (gateway/serving/requests.py), calls the Flask app
in the loop's own thread and writes the answer with one send. A slow client costs a buffer, not a thread; limits
per connection and per address, and what the worker closes when it is full, are in gateway/serving/connections.py.

Each request runs in its own greenlet. With the embedded broker, a publish queues the message on the
worker's pipeline (gateway/publishing/embedded/pipeline.py) and hands control back to the loop (the hub), which serves other
requests meanwhile; the broker's answer resumes the request. Nothing else in a request waits: a blocking call
(an external broker through paho, Redis for shared rate limits) blocks the whole worker while it lasts.
Only the hub starts or resumes request greenlets; requests that become whole are queued and run once the
turn's events are handled, and then the turn's publishes leave in one send.
"""

import errno
import os
import selectors
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from greenlet import getcurrent, greenlet
from gunicorn.workers.base import Worker

from gateway.app.extensions import PUBLISHER_KEY, SETTINGS_KEY
from gateway.errors import ApiError, HttpError, InternalError, TooManyConnections
from gateway.publishing.embedded.pipeline import Pipeline
from gateway.publishing.embedded.publisher import EmbeddedPublisher
from gateway.serving.connections import AddressCounts, Client, to_close_for_room
from gateway.serving.heads import Head, HttpProblem
from gateway.serving.requests import RequestReader
from gateway.serving.responses import CONTINUE, encode_response, error_answer
from gateway.serving.wsgi_call import Answer, RequestHeaders, call_app, environ_for
from gateway.settings import ServingSettings

READ_BYTES = 65536
NOTIFY_EVERY_S = 0.5
ACCEPT_PER_TURN = 8
EVENTS_PER_TURN = 64
DEFAULT_BODY_LIMIT = 1_048_576
# Greenlets kept for the next requests once theirs is answered: a new greenlet costs an mmap and a munmap (its
# frame stack) and fresh pages, which were ~10 % of a worker's system calls.
IDLE_RUNNERS = 64
# At capacity with nothing that may be closed for room (every connection is being served or written to), accepting
# pauses this long; new connections wait in the listen queue meanwhile.
FULL_PAUSE_S = 0.1
FRONT_COUNTS = {
    "closed_for_room": "closed for new ones at capacity",
    "timed_out": "answered 408 (head or request not in time)",
    "over_address_cap": "refused over the per-address cap (429)",
}
# While a request is served, a client's later (pipelined) requests are read up to this much, then not at all
# until the answer is out: what a client sends ahead waits in its socket, not in the worker.
AHEAD_BYTES = READ_BYTES


@dataclass
class Request:
    """A request that has arrived whole, waiting for the hub to run it."""

    client: "Client"
    head: Head
    body: bytes
    force_close: bool
    arrived: float


class WebhookWorker(Worker):
    """Serve HTTP/1.x on gunicorn's listeners from one thread (see the module docstring)."""

    def load_wsgi(self) -> None:
        """Load the app, and give an embedded broker's publisher this worker's pipeline (before post_worker_init)."""
        super().load_wsgi()
        self.selector = selectors.DefaultSelector()
        self.pipeline: Pipeline | None = None
        publisher = getattr(self.wsgi, "extensions", {}).get(PUBLISHER_KEY)
        if isinstance(publisher, EmbeddedPublisher):
            publisher.pipeline = self.pipeline = Pipeline(publisher, self.selector)

    def run(self) -> None:
        """Accept, read, serve and write until told to stop, then let open requests finish."""
        if self.cfg.is_ssl:
            self.log.error("the gateway's worker does not terminate TLS; put TLS in front of it (see the README)")
            sys.exit(1)
        self.ready: deque[Request] = deque()
        self.hub = getcurrent()
        self.idle_runners: list[greenlet] = []
        # Access lines leave once per turn (gateway/serving/gunicorn_logging.py), not one write per request.
        getattr(self.log, "hold_access_lines", lambda: None)()
        self._flush_access_lines = getattr(self.log, "flush_access_lines", lambda: None)
        self.clients: set[Client] = set()
        self.accepting = False
        self.accept_paused_until = 0.0
        self.body_limit = getattr(self.wsgi, "config", {}).get("MAX_CONTENT_LENGTH") or DEFAULT_BODY_LIMIT
        self._set_limits()
        self.server = self.sockets[0].getsockname() if self.sockets else ("", 0)
        for listener in self.sockets:
            listener.setblocking(False)
        swept_at = notified_at = 0.0
        while self.alive:
            now = time.monotonic()
            if now - notified_at >= NOTIFY_EVERY_S:  # the arbiter's heartbeat costs a system call, as does getppid
                self.notify()
                notified_at = now
                if self.ppid != os.getppid():
                    self.log.info("Parent changed, shutting down: %s", self)
                    break
            self._accept_if_room()
            self._turn(1.0)
            if time.monotonic() - swept_at >= 1.0:
                swept_at = self._sweep()
        self._finish()

    def _set_limits(self) -> None:
        """Read the per-connection and per-address limits (gateway/settings.py ServingSettings)."""
        settings = getattr(self.wsgi, "extensions", {}).get(SETTINGS_KEY)
        serving = settings.serving if settings is not None else ServingSettings.from_env(os.environ)
        self.header_timeout_s = serving.http_header_timeout_s
        # Behind trusted proxies every connection comes from a proxy: the cap per client is the proxy's to keep.
        behind_proxies = settings is not None and settings.trusted_proxy_count > 0
        self.per_address = AddressCounts(0 if behind_proxies else serving.max_connections_per_address)
        self.full_until = 0.0  # at capacity with nothing to close for room: accept again from then
        # What the limits did since the last sweep, which logs it in one line (one per connection would flood the log).
        self.front_counts = dict.fromkeys(FRONT_COUNTS, 0)

    def _accept_if_room(self) -> None:
        now = time.monotonic()
        room = len(self.clients) < self.cfg.worker_connections or now >= self.full_until
        want = self.alive and room and now >= self.accept_paused_until
        if want == self.accepting:
            return
        for listener in self.sockets:
            if want:
                self.selector.register(listener, selectors.EVENT_READ, None)
            else:
                self.selector.unregister(listener)
        self.accepting = want

    def _turn(self, timeout: float) -> None:
        """Wait for events (at most timeout s), handle them, run the requests that became whole, send publishes."""
        pipeline = self.pipeline
        if pipeline is not None and (deadline := pipeline.next_deadline()) is not None:
            timeout = max(0.0, min(timeout, deadline - time.monotonic()))
        self._dispatch(timeout)
        while self.ready:
            # Each request in a greenlet of its own, switched to from the hub: control comes back here when the
            # request is answered or waits for the broker.
            runner = self.idle_runners.pop() if self.idle_runners else greenlet(self._run_requests)
            runner.switch(self.ready.popleft())
        if pipeline is not None:
            pipeline.flush()
            pipeline.expire(time.monotonic())
        self._flush_access_lines()

    def _dispatch(self, timeout: float) -> None:
        try:
            events = self.selector.select(timeout)
        except InterruptedError:
            return
        # New connections first, then at most EVENTS_PER_TURN clients: the rest are still ready at the next
        # select() (level-triggered), and a turn stays short enough for waiting connections to be accepted.
        served = 0
        for key, mask in sorted(events, key=lambda event: event[0].data is not None):
            if key.data is None:
                self._accept(key.fileobj)  # type: ignore[arg-type]
                continue
            if key.data is self.pipeline:
                self.pipeline.on_ready(mask)  # type: ignore[union-attr]
                continue
            if served == EVENTS_PER_TURN or key.data not in self.clients:
                continue  # (not in clients: closed earlier in this turn, e.g. to make room for new connections)
            served += 1
            if mask & selectors.EVENT_WRITE:
                self._flush(key.data)
            else:
                self._read(key.data)

    def _accept(self, listener: socket.socket) -> None:
        # A few connections per turn: every worker is woken for new connections, and small helpings spread
        # keep-alive clients, hence load, over the workers (64 at once left one worker with all 32 of wrk's);
        # one per turn absorbed a surge of a thousand connections too slowly (docs/RELIABILITY.md).
        for _ in range(ACCEPT_PER_TURN):
            if len(self.clients) >= self.cfg.worker_connections and not self._make_room():
                return
            try:
                sock, address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as err:  # e.g. out of file descriptors: pause rather than spin on a ready listener
                self.log.warning("cannot accept connections for now: %s", err.strerror or err)
                self.accept_paused_until = time.monotonic() + 1.0
                self._accept_if_room()
                return
            sock.setblocking(False)
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                address = ("", 0)  # a unix socket has no client address
            self._admit(sock, address)

    def _admit(self, sock: socket.socket, address: tuple[str, int]) -> None:
        """Serve a new connection, or answer 429 and close it when its address holds its share already."""
        admitted, key = self.per_address.admit(address[0])
        client = Client(sock, address, RequestReader(self.body_limit), key)
        self.clients.add(client)
        self.selector.register(sock, selectors.EVENT_READ, client)
        if not admitted:
            self.front_counts["over_address_cap"] += 1
            self._refuse(client, TooManyConnections(), quietly=True)

    def _make_room(self) -> bool:
        """Close idle connections, else the slowest senders, for the new ones waiting; False if none may go."""
        chosen = to_close_for_room(self.clients, ACCEPT_PER_TURN)
        if not chosen:
            self.full_until = time.monotonic() + FULL_PAUSE_S
            self._accept_if_room()
            return False
        for client in chosen:
            self._close(client)
        self.front_counts["closed_for_room"] += len(chosen)
        return True

    def _read(self, client: Client) -> None:
        try:
            data = client.sock.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client closed (or reset) its side: answer what it sent whole, then close
            client.ended = True
            self._unwatch(client)  # (and stop hearing the end meanwhile)
            if not client.busy:
                self._serve_ready(client)
            return
        client.reader.receive(data)
        if client.busy and client.reader.pending >= AHEAD_BYTES:
            self._unwatch(client)
        client.active_at = time.monotonic()
        if client.request_started is None:
            client.request_started = client.active_at
        self._serve_ready(client)

    def _serve_ready(self, client: Client) -> None:
        """Queue the next whole request received, unless one is being served or an answer waits to be written."""
        reader = client.reader
        while not client.outbox and not client.closing and not client.busy:
            try:
                taken = reader.next_request()
            except HttpProblem as problem:
                self._refuse(client, problem.error)
                return
            if taken is None:
                if client.ended:  # nothing more will come: the requests it sent whole are answered
                    self._close(client)
                elif reader.take_continue():  # the client waits for this before it sends the body
                    self._write(client, CONTINUE)
                return
            head, body = taken
            client.request_started = time.monotonic() if reader.pending else None
            # A declared body over the limit is never read: the app answers 413 from the length, then the close.
            self._respond(client, head, body, force_close=head.oversized)

    def _respond(self, client: Client, head: Head, body: bytes, force_close: bool) -> None:
        client.busy = True
        self.ready.append(Request(client, head, body, force_close, time.monotonic()))

    def _run_requests(self, request: Request) -> None:
        """A runner greenlet: answer a request, then wait in the idle list for the hub to hand it the next one."""
        while True:
            self._answer(request)
            if len(self.idle_runners) >= IDLE_RUNNERS:
                return
            self.idle_runners.append(getcurrent())
            request = self.hub.switch()

    def _answer(self, request: Request) -> None:
        """In the request's greenlet: call the app, write its answer, queue the connection's next request."""
        client, head = request.client, request.head
        force_close = request.force_close
        environ = environ_for(head, request.body, client.address, self.server)
        try:
            status, headers, payload = call_app(self.wsgi, environ)
        except Exception as err:  # the app's own handlers answer its errors; this is a failure outside them
            # The type only: an exception's text may quote the request, token included.
            self.log.error("the gateway's app failed outside its error handlers: %s", type(err).__name__)
            status, headers, payload = error_answer(InternalError())
            force_close = True
        self.nr += 1
        if self.nr >= self.max_requests and self.alive:
            self.log.info("Autorestarting worker after current request.")
            self.alive = False
        # A client that half-closed after pipelining still gets an answer to every request it sent whole.
        more = not client.ended or client.reader.pending > 0
        keep_alive = head.keep_alive and not force_close and more and self.alive
        head_only = head.method == "HEAD"
        client.busy, client.closing, client.answered = False, not keep_alive, True
        if not client.watched and not client.ended and client in self.clients:
            self._watch(client, selectors.EVENT_READ)
        self._write(client, encode_response(status, headers, payload, keep_alive, head_only))
        answer = Answer(status, headers, 0 if head_only else len(payload))
        took = timedelta(seconds=time.monotonic() - request.arrived)
        self.log.access(answer, RequestHeaders(head.headers), environ, took)
        self._serve_ready(client)  # a request pipelined behind this one

    def _refuse(self, client: Client, error: ApiError, quietly: bool = False) -> None:
        """Answer a request that cannot be served, and close the connection once the answer is out."""
        if not quietly:
            self.log.info("refused a malformed request: %s", error.message)
        status, headers, payload = error_answer(error)
        client.closing = True
        self._write(client, encode_response(status, headers, payload, keep_alive=False, head_only=False))

    def _write(self, client: Client, data: bytes) -> None:
        client.outbox += data
        self._flush(client)

    def _flush(self, client: Client) -> None:
        try:
            sent = client.sock.send(client.outbox) if client.outbox else 0
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._close(client)
            return
        client.outbox = client.outbox[sent:]
        client.active_at = time.monotonic()
        if client.outbox:
            self._watch(client, selectors.EVENT_WRITE)
            return
        if client.closing:
            self._close(client)
            return
        if not client.watched:  # the client has ended its side: answer what else it sent, read no more
            self._serve_ready(client)
        elif self.selector.get_key(client.sock).events != selectors.EVENT_READ:
            self._watch(client, selectors.EVENT_READ)
            self._serve_ready(client)  # requests that arrived while the answer was being written

    def _watch(self, client: Client, events: int) -> None:
        if client.watched:
            self.selector.modify(client.sock, events, client)
        else:
            self.selector.register(client.sock, events, client)
            client.watched = True

    def _unwatch(self, client: Client) -> None:
        if client.watched:
            self.selector.unregister(client.sock)
            client.watched = False

    def _sweep(self) -> float:
        """Close idle keep-alive connections, time out requests that do not arrive whole, drop stuck writers."""
        now = time.monotonic()
        for client in list(self.clients):
            if client.busy:
                continue  # its wait for the broker ends by itself (PUBLISH_TIMEOUT_S, gateway/publishing/embedded/pipeline.py)
            if client.outbox:
                if now - client.active_at > self.cfg.timeout:
                    self._close(client)
            elif client.request_started is not None:
                self._time_out(client, now - client.request_started)
            elif now - client.active_at > self.cfg.keepalive and not self._unread(client):
                self._close(client)
        self._log_front_counts()
        return now

    def _log_front_counts(self) -> None:
        """Say in one line what the connection limits did since the last sweep, if anything."""
        counts = self.front_counts
        if any(counts.values()):
            said = ", ".join(f"{counts[name]} {what}" for name, what in FRONT_COUNTS.items() if counts[name])
            self.log.info("connections in the last second: %s", said)
            self.front_counts = dict.fromkeys(FRONT_COUNTS, 0)

    def _time_out(self, client: Client, sending_s: float) -> None:
        """Answer 408 to a request whose head or whole has not arrived in time."""
        # Its head within HTTP_HEADER_TIMEOUT_S of its first byte, the whole within gunicorn's GUNICORN_TIMEOUT_S.
        if client.reader.reading_head and sending_s > self.header_timeout_s:
            error = HttpError(408, "The request's head did not arrive in time.")
        elif sending_s > self.cfg.timeout:
            error = HttpError(408, "The request did not arrive in time.")
        else:
            return
        self.front_counts["timed_out"] += 1
        self._refuse(client, error, quietly=True)

    @staticmethod
    def _unread(client: Client) -> bool:
        """Return True when the client has sent something not read yet (a busy worker reads it at its next turn)."""
        try:
            return bool(client.sock.recv(1, socket.MSG_PEEK))
        except OSError:  # nothing to read now (BlockingIOError), or the connection failed: nothing unread
            return False

    def _close(self, client: Client) -> None:
        client.closing = True
        if client not in self.clients:
            return
        self.clients.discard(client)
        self.per_address.release(client.address_key)
        client.reader.close()
        try:
            self.selector.unregister(client.sock)
        except (KeyError, ValueError):
            pass
        try:
            client.sock.close()
        except OSError as err:
            if err.errno != errno.EBADF:
                raise

    def _finish(self) -> None:
        """Stop accepting, let answers in progress go out (up to graceful_timeout), then close everything."""
        self.alive = False
        self._accept_if_room()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while True:
            for client in list(self.clients):
                if not client.busy and not client.outbox and client.request_started is None:
                    self._close(client)  # idle: nothing to finish
            if not self.clients or time.monotonic() >= deadline:
                break
            self.notify()
            self._turn(0.2)
        if self.pipeline is not None:
            self.pipeline.close()  # requests still waiting are answered 503
        self._flush_access_lines()
        for client in list(self.clients):
            self._close(client)
        self.selector.close()
