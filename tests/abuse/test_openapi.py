"""GET /openapi.json describes the real API, and its error codes cannot drift from gateway.errors."""

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from gateway.errors import ERROR_CODES, ERRORS, HttpError
from gateway.rules.modes import allowed_modes
from gateway.settings import RateLimitSettings
from tests.gateway.conftest import Gateway

Document = dict[str, Any]
DEFAULT = "default"


def served(gateway: Gateway) -> Document:
    """GET /openapi.json and return the document, checking it is served as JSON."""
    response = gateway.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.get_json()


def codes_by_status(document: Document) -> dict[str, set[str]]:
    """Return every error code the document lists, by the response status it is listed under."""
    found: dict[str, set[str]] = defaultdict(set)
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if "error" in schema.get("properties", {}):
                    found[status] |= set(schema["properties"]["error"]["properties"]["code"]["enum"])
    return found


@pytest.fixture
def document(gateway_with: Callable[..., Gateway]) -> Document:
    """The document a default gateway serves."""
    return served(gateway_with())


def openapi_path(rule: str) -> str:
    """Return a Werkzeug rule (/page/<version>/<path:name>) as an OpenAPI path template (/page/{version}/{name})."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def app_routes(gateway: Gateway) -> dict[str, set[str]]:
    """Return the app's routes as OpenAPI paths, each with its methods, less the ones HTTP adds by itself.

    Flask's own "static" route is left out: the app has no static folder, so it serves nothing.
    """
    routes: dict[str, set[str]] = defaultdict(set)
    for rule in gateway.http.application.url_map.iter_rules():
        if rule.endpoint != "static":
            routes[openapi_path(rule.rule)] |= {method.lower() for method in rule.methods or ()} - {"head", "options"}
    return routes


def test_openapi_is_served_as_openapi_3_1_and_describes_exactly_the_apps_routes(
    gateway_with: Callable[..., Gateway], document: Document
) -> None:
    routes = app_routes(gateway_with())
    assert document["openapi"] == "3.1.0"
    pages = {"/", "/docs", "/page/{version}/{name}"}
    assert set(document["paths"]) == set(routes) == {"/cloud", "/healthz", "/openapi.json", *pages}
    assert {path: set(operations) for path, operations in document["paths"].items()} == routes
    assert set(document["paths"]["/cloud"]) == {"post"}


def test_openapi_declares_exactly_the_path_parameters_of_each_route(document: Document) -> None:
    for path, operations in document["paths"].items():
        for operation in operations.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_openapi_lists_every_file_the_pages_serve(gateway_with: Callable[..., Gateway], document: Document) -> None:
    gateway = gateway_with()
    (name,) = (p for p in document["paths"]["/page/{version}/{name}"]["get"]["parameters"] if p["name"] == "name")
    for file in name["schema"]["enum"]:
        with gateway.http.get(f"/page/any/{file}") as response:
            assert response.status_code == 200, file
    assert {"page.js", "page.css", "swagger-ui-bundle.js", "swagger-ui.css"} <= set(name["schema"]["enum"])


def test_openapi_lists_every_error_code_and_no_other(document: Document) -> None:
    listed = set().union(*codes_by_status(document).values())
    assert listed == set(ERROR_CODES)


def test_openapi_lists_each_error_code_under_its_own_status(document: Document) -> None:
    listed = codes_by_status(document)
    for error in ERRORS:
        if error is HttpError:  # its status is whatever the HTTP layer chose
            assert error.code in listed[DEFAULT]
        else:
            assert error.code in listed[str(error.status)] | listed[DEFAULT], error.code


def test_openapi_never_lists_an_error_code_under_a_status_it_does_not_have(document: Document) -> None:
    status_of = {error.code: str(error.status) for error in ERRORS if error is not HttpError}
    for status, codes in codes_by_status(document).items():
        if status != DEFAULT:
            assert {code: status_of[code] for code in codes} == dict.fromkeys(codes, status)


@pytest.mark.parametrize(("path", "status"), [("/cloud", "429"), ("/cloud", "503"), ("/healthz", "503")])
def test_openapi_promises_retry_after_on_429_and_503(document: Document, path: str, status: str) -> None:
    operation = next(iter(document["paths"][path].values()))
    header = operation["responses"][status]["headers"]["Retry-After"]
    assert header["required"] is True
    assert header["schema"] == {"type": "integer", "minimum": 1}


def test_openapi_mode_parameter_lists_the_modes_this_gateway_accepts(gateway_with: Callable[..., Gateway]) -> None:
    document = served(gateway_with(extra_modes=frozenset({"reboot"})))
    mode = next(p for p in document["paths"]["/cloud"]["post"]["parameters"] if p["name"] == "mode")
    listed, *named = mode["schema"]["anyOf"]
    assert "reboot" in listed["enum"]
    patterns = {entry["pattern"].removeprefix("^").removesuffix("[A-Za-z0-9_-]{1,32}$") + "<name>" for entry in named}
    assert set(listed["enum"]) | patterns == set(allowed_modes({"reboot"}))
    assert {entry["pattern"] for entry in named} >= {"^custom/[A-Za-z0-9_-]{1,32}$", "^cmd/apps/pushed/[A-Za-z0-9_-]{1,32}$"}


def test_openapi_states_the_configured_rate_limits(gateway_with: Callable[..., Gateway]) -> None:
    document = served(gateway_with(rate_limits=RateLimitSettings(per_token="7/minute", per_address="70/minute")))
    description = document["paths"]["/cloud"]["post"]["responses"]["429"]["description"]
    assert "7/minute per token" in description
    assert "70/minute per client address" in description


def test_openapi_describes_both_ways_to_send_the_token(document: Document) -> None:
    operation = document["paths"]["/cloud"]["post"]
    token = next(p for p in operation["parameters"] if p["name"] == "token")
    assert token["in"] == "query"
    assert token["required"] is False
    assert {"bearerToken": []} in operation["security"]
    assert document["components"]["securitySchemes"]["bearerToken"] == {"type": "http", "scheme": "bearer"}
