"""GET /, GET /docs and their files: what they carry, how they are cached, and that every other path stays an error."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.test import TestResponse

from gateway.app.assets import CONTENT_SECURITY_POLICY, MEDIA_TYPES, WEB, asset_files, asset_version
from tests.gateway.app.test_http_errors import assert_error
from tests.gateway.conftest import Gateway, UnusedPublisher

PAGES = ["/", "/docs"]
STRICT_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'none'",
}
# What a visit costs a phone, before compression; the README states the figure.
PAGE_BUDGET_BYTES = 48_000
_REFERENCE = re.compile(r"""\b(?:src|href)="([^"]*)\"""")


@pytest.fixture
def page_gateway(make_gateway: Callable[..., Gateway]) -> Callable[..., Gateway]:
    """Return a factory of gateways with given settings; nothing on these paths may publish."""
    return lambda **settings: make_gateway(UnusedPublisher(), **settings)


@pytest.fixture
def gateway(page_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway with default settings."""
    return page_gateway()


@pytest.fixture
def get(gateway: Gateway) -> Iterator[Callable[..., TestResponse]]:
    """GET through the gateway; every answer is closed after the test (files are streamed)."""
    answers: list[TestResponse] = []

    def fetch(path: str, **options: object) -> TestResponse:
        answers.append(gateway.http.get(path, **options))  # type: ignore[arg-type]
        return answers[-1]

    yield fetch
    for answer in answers:
        answer.close()


def policy_of(response: TestResponse) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.mark.parametrize("path", PAGES)
def test_page_is_html_with_a_strict_content_security_policy(get: Callable[..., TestResponse], path: str) -> None:
    response = get(path)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert policy_of(response) == STRICT_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_only_the_relays_own_files_and_no_inline_script_or_style(get: Callable[..., TestResponse], path: str) -> None:
    html = get(path).get_data(as_text=True)
    references = _REFERENCE.findall(html)
    assert references
    assert all(ref.startswith(("/", "#")) and not ref.startswith("//") for ref in references), references
    assert f"/page/{asset_version()}/" in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # script-src 'self' would block it anyway
    assert "<style" not in html and " style=" not in html


def test_page_files_name_no_other_site() -> None:
    for path in WEB.iterdir():
        if path.suffix in (".html", ".js", ".css"):
            assert re.search(r"https?://", path.read_text()) is None, path.name


def test_page_tells_the_clock_the_configured_public_broker(page_gateway: Callable[..., Gateway]) -> None:
    gateway = page_gateway(public_mqtt_host="relay.example.org", public_mqtt_port=11883, hide_presence=True)
    html = gateway.http.get("/").get_data(as_text=True)
    assert 'data-mqtt-host="relay.example.org"' in html
    assert 'data-mqtt-port="11883"' in html
    assert 'data-hide-presence="true"' in html


def test_page_leaves_the_host_to_the_browser_by_default(
    get: Callable[..., TestResponse],
) -> None:
    html = get("/").get_data(as_text=True)
    assert 'data-mqtt-host=""' in html
    assert 'data-mqtt-port="1883"' in html


@pytest.mark.parametrize("path", PAGES)
def test_page_is_revalidated_and_answers_304_to_its_etag(get: Callable[..., TestResponse], path: str) -> None:
    first = get(path)
    assert first.headers["Cache-Control"] == "no-cache"
    again = get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_page_head_has_the_headers_of_get_without_the_body(gateway: Gateway) -> None:
    got, head = gateway.http.get("/"), gateway.http.head("/")
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"] == str(len(got.get_data()))
    assert head.headers["ETag"] == got.headers["ETag"]


def test_page_files_of_the_current_version_are_kept_for_a_year(get: Callable[..., TestResponse]) -> None:
    response = get(f"/page/{asset_version()}/page.js")
    assert response.status_code == 200
    assert response.content_type == "text/javascript; charset=utf-8"
    assert set(response.headers["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.get_data() == (WEB / "page.js").read_bytes()


def test_page_files_of_another_version_are_served_but_revalidated(get: Callable[..., TestResponse]) -> None:
    response = get("/page/0ld-version/page.css")
    assert response.status_code == 200
    assert response.content_type == "text/css; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert get("/page/0ld-version/page.css", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_page_serves_swagger_ui_from_the_installed_package(get: Callable[..., TestResponse]) -> None:
    response = get(f"/page/{asset_version()}/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert response.get_data() == asset_files()["swagger-ui-bundle.js"].read_bytes()
    assert b"SwaggerUIBundle" in response.get_data()


@pytest.mark.parametrize(
    "path",
    [
        "/page/v/nothing.js",
        "/page/v/page.html",  # the page's template is not a file to fetch
        "/page/v/..%2Fpage.py",
        "/page/v/%2e%2e/assets.py",
        "/page/page.js",
        "/index.html",
        "/docs/",
        "/static/page.js",
    ],
)
def test_page_other_paths_stay_the_json_404(get: Callable[..., TestResponse], path: str) -> None:
    assert_error(get(path), 404, "not_found")


@pytest.mark.parametrize("path", [*PAGES, "/page/v/page.js"])
def test_page_routes_take_only_get(gateway: Gateway, path: str) -> None:
    response = gateway.http.post(path)
    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD"}  # OPTIONS too is 405 (gateway/serving)


def test_page_is_rendered_once_per_app(gateway: Gateway, get: Callable[..., TestResponse]) -> None:
    get("/")
    rendered = gateway.http.application.extensions["gateway.page.rendered"]["page.html"]
    assert get("/").get_data() == rendered[0]


def test_readme_states_the_pages_size_and_the_page_stays_small(get: Callable[..., TestResponse]) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    files, stated = re.search(r"the page is (\d+) files, \*\*([\d.]+) KB\*\*", readme).groups()  # type: ignore[union-attr]
    own = [path for path in WEB.iterdir() if path.suffix in MEDIA_TYPES and not path.name.startswith("docs.")]
    total = len(get("/").get_data()) + sum(path.stat().st_size for path in own)
    assert int(files) == len(own) + 1
    assert abs(total / 1000 - float(stated)) <= 0.05 * float(stated), f"the page is {total / 1000:.1f} KB now"
    assert total <= PAGE_BUDGET_BYTES
