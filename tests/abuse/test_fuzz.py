"""Fuzz the HTTP surface, from its OpenAPI document and from raw hypothesis data: never a 5xx, always the envelope."""

import json
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from werkzeug.test import TestResponse

from gateway.errors import ERROR_CODES
from gateway.publishing import Publisher
from gateway.rules.modes import AWTRIX2_MODES, AWTRIX3_MODES, DANGEROUS_MODES
from tests.abuse.conftest import UNLIMITED
from tests.gateway.conftest import Gateway
from tests.support.clients import Client

MAX_EXAMPLES = 600
KNOWN_TOKEN = "Fuzzed-device-token-0001"
ENABLED_EXTRA = frozenset({"apps"})
SCHEMA_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]
_LATIN1 = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
_HEADER_NAME = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=20).filter(
    lambda name: name.lower() not in {"content-length", "transfer-encoding", "host", "content-type", "authorization"}
)
# Any path a URL can carry; '?' and '#' would start the query or the fragment instead.
_PATH_CHARACTERS = string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@/"
MEDIA_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/vnd.api+json",
    "text/plain",
    "text/plain; charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/octet-stream",
    "*/*",
    "",
]


@dataclass(frozen=True)
class RawRequest:
    """A request built from raw parts, including ones no schema would describe."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Answer:
    """The parts of an answer the invariants look at, from a Flask or a schemathesis response."""

    status: int
    media_type: str
    body: bytes
    has_body: bool

    @classmethod
    def of(cls, response: TestResponse | schemathesis.Response, method: str) -> "Answer":
        """Normalise either kind of response to a request with method."""
        if isinstance(response, TestResponse):
            return cls(response.status_code, response.headers.get("Content-Type", ""), response.get_data(), method != "HEAD")
        headers = {name.lower(): values for name, values in response.headers.items()}
        return cls(response.status_code, headers.get("content-type", [""])[0], response.content, method != "HEAD")

    def json(self) -> object:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Tally:
    """What the fuzzer sent and what came back."""

    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    delivered: int = 0

    def record(self, answer: Answer) -> None:
        """Count one answer."""
        self.cases += 1
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
        body = answer.json() if answer.has_body and answer.media_type == "application/json" else None
        if answer.status == 200 and isinstance(body, dict) and body.get("delivered") is True:
            self.delivered += 1


def tokens(alphabet: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """The subscribed device's token, well-formed random tokens, and any text (from alphabet) at all."""
    well_formed = st.from_regex(r"[A-Za-z0-9_-]{12,64}", fullmatch=True)
    anything = st.text(max_size=80) if alphabet is None else st.text(alphabet, max_size=80)
    return st.one_of(st.just(KNOWN_TOKEN), well_formed, anything)


def modes() -> st.SearchStrategy[str]:
    """Every mode there is, custom/<anything>, and any text at all."""
    known = sorted({*AWTRIX2_MODES, *AWTRIX3_MODES, *DANGEROUS_MODES, "custom", "custom/clock"})
    return st.one_of(st.sampled_from(known), st.text(max_size=40).map("custom/".__add__), st.text(max_size=30))


def bodies() -> st.SearchStrategy[bytes]:
    """Arbitrary JSON, arbitrary bytes, nothing, and bodies just over the size limit."""
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=12,
    )
    return st.one_of(
        json_values.map(lambda value: json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        st.dictionaries(st.text(max_size=10), json_values, max_size=4).map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=300),
        st.just(b""),
        st.integers(8150, 8300).map(lambda n: b'{"text":"' + b"x" * n + b'"}'),
    )


@st.composite
def raw_requests(draw: st.DrawFn) -> RawRequest:
    """POST /cloud (mostly) or any method and path, with random query, headers, media type and body."""
    mode, token = draw(st.one_of(st.none(), modes())), draw(st.one_of(st.none(), tokens()))
    query = [(key, value) for key, value in (("mode", mode), ("token", token)) if value is not None]
    # Repeated and unknown parameters: a second token, a second mode, anything else.
    query += draw(
        st.lists(
            st.sampled_from(["mode", "token"]).flatmap(_pair) | st.tuples(st.text(max_size=8), st.text(max_size=20)), max_size=2
        )
    )
    # Stripped: HTTP servers drop whitespace around header values before the app sees them.
    headers = draw(st.dictionaries(_HEADER_NAME, st.text(_LATIN1, max_size=40).map(str.strip), max_size=3))
    authorization = draw(st.one_of(st.none(), tokens(_LATIN1).map("Bearer ".__add__), st.text(_LATIN1, max_size=40)))
    if authorization is not None:
        headers["Authorization"] = authorization.strip()
    media_type = draw(st.one_of(st.none(), st.sampled_from(MEDIA_TYPES), st.text(_LATIN1, max_size=40)))
    if media_type is not None:
        headers["Content-Type"] = media_type.strip()
    method, path = draw(
        st.one_of(
            st.just(("POST", "/cloud")),
            st.tuples(st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "POST", "HEAD", "OPTIONS"]), st.just("/cloud")),
            st.tuples(st.just("POST"), st.text(_PATH_CHARACTERS, max_size=20).map("/".__add__)),
        )
    )
    return RawRequest(method, path, query, headers, draw(bodies()))


def _pair(key: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.just(key), modes() if key == "mode" else tokens())


def webhook_to(
    token: str, mode: str = "notify", media_type: str = "application/json", body: bytes = b'{"text":"hi"}'
) -> RawRequest:
    """A POST /cloud built by hand, for the examples every run must include."""
    return RawRequest("POST", "/cloud", [("mode", mode), ("token", token)], {"Content-Type": media_type}, body)


# Run on every run besides the generated ones, so each kind of answer is always seen at least once.
ALWAYS = [
    webhook_to(KNOWN_TOKEN),
    webhook_to("Nobody-listens-here-0001"),
    webhook_to("short"),
    webhook_to(KNOWN_TOKEN, mode="reboot"),
    webhook_to(KNOWN_TOKEN, body=b'{"text":"' + b"x" * 9000 + b'"}'),
    webhook_to(KNOWN_TOKEN, media_type="application/xml"),
    RawRequest("GET", "/cloud", [("mode", "notify"), ("token", KNOWN_TOKEN)]),
    RawRequest("POST", "/cloud/" + KNOWN_TOKEN, []),
]


# The fields some errors add to the envelope (README "Error codes").
EXTRA_FIELDS = {"device_rejected": ("device",), "untranslatable": ("firmware", "key")}


def assert_well_formed(answer: Answer) -> None:
    """Assert what holds for every answer: no 5xx, no 429 under generous limits, errors in the envelope."""
    assert answer.status < 500, answer.body
    assert answer.status != 429, "the fuzz gateway's limits are generous; a 429 means they leaked"
    if answer.status >= 400:
        assert answer.media_type == "application/json"
        if not answer.has_body:  # HEAD: the headers of the error, without its body
            return
        body = answer.json()
        assert isinstance(body, dict)
        error = body["error"]
        extras = {key: error[key] for key in EXTRA_FIELDS.get(error["code"], ()) if key in error}
        assert body == {"error": {"code": error["code"], "message": error["message"], **extras}}
        assert body["error"]["code"] in ERROR_CODES
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]


@pytest.fixture
def known_device(subscribed: Callable[..., Client]) -> Client:
    """The one device subscribed to KNOWN_TOKEN's namespace."""
    return subscribed(KNOWN_TOKEN)


@pytest.fixture
def fuzz_app(publisher: Publisher, make_gateway: Callable[..., Gateway], known_device: Client) -> Flask:
    """A gateway over a real publisher and broker, with one subscribed device and limits nobody reaches."""
    gateway = make_gateway(publisher, rate_limits=UNLIMITED, extra_modes=ENABLED_EXTRA)
    return gateway.http.application


def test_fuzzed_requests_never_get_a_5xx_and_errors_are_always_the_envelope(
    fuzz_app: Flask, known_device: Client, capsys: pytest.CaptureFixture[str], record_property: Callable[[str, object], None]
) -> None:
    schema = schemathesis.openapi.from_wsgi("/openapi.json", fuzz_app)
    webhook = schema["/cloud"]["POST"]
    http = fuzz_app.test_client()
    tally = Tally()
    from_schema = st.one_of(schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE))

    def check(case: schemathesis.Case | RawRequest) -> None:
        """Send one case, validate the answer against the document, and check the invariants."""
        note(repr(case) if isinstance(case, RawRequest) else case.as_curl_command())
        if isinstance(case, RawRequest):
            response = http.open(
                case.path, method=case.method, query_string=urlencode(case.query), headers=case.headers, data=case.body
            )
            if (case.method, case.path) == ("POST", "/cloud"):
                webhook.Case(query=dict(case.query)).validate_response(response, checks=SCHEMA_CHECKS)
        else:
            response = case.call()
            case.validate_response(response, checks=SCHEMA_CHECKS)
        answer = Answer.of(response, case.method)
        tally.record(answer)
        assert_well_formed(answer)

    for request in ALWAYS:
        check = example(case=request)(check)
    fuzz = given(case=st.one_of(from_schema, raw_requests()))(check)
    fuzz = settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))(fuzz)
    started = time.monotonic()
    fuzz()
    elapsed = time.monotonic() - started
    record_property("fuzz_cases", tally.cases)
    with capsys.disabled():
        print(f"\nfuzzed {tally.cases} requests in {elapsed:.1f} s; statuses {dict(sorted(tally.statuses.items()))}")
    assert tally.cases >= MAX_EXAMPLES + len(ALWAYS)
    assert {200, 202, 400, 403, 404, 405, 413, 415} <= set(tally.statuses)
    for _ in range(tally.delivered):  # every "delivered": true reached the device
        known_device.next_message()
    known_device.sync()
    assert known_device.messages.empty()
