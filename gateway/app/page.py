"""Serve the relay's page for people (GET /), its API reference (GET /docs) and the files both load."""

import hashlib
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template, request

from common.tokens import GENERATED_TOKEN_CHARS, TOKEN_MAX_CHARS, TOKEN_MIN_CHARS
from common.topics import TOPIC_ROOT
from gateway.app.assets import IMMUTABLE_S, SECURITY_HEADERS, asset_content, asset_files, asset_version, media_type
from gateway.app.extensions import settings_of
from gateway.errors import NotFound
from gateway.settings import GatewaySettings

blueprint = Blueprint("page", __name__, template_folder="web")
RENDERED_KEY = "gateway.page.rendered"
# AWTRIX 3 formats "<prefix>/stats/device" into 50 bytes: a longer prefix cuts its last-will topic.
AWTRIX3_PREFIX_MAX_CHARS = 36


@blueprint.get("/")
def page() -> Response:
    """Answer the page that takes a person from nothing to a first message on their clock."""
    return _rendered("page.html")


@blueprint.get("/docs")
def docs() -> Response:
    """Answer the API reference: Swagger UI rendering /openapi.json."""
    return _rendered("docs.html")


@blueprint.get("/page/<version>/<name>")
def asset(version: str, name: str) -> Response:
    """Answer one of the page's files; kept for a year when the URL names the current version."""
    if name not in asset_files():
        raise NotFound()
    body, etag = asset_content(name)
    response = Response(body, content_type=media_type(name))
    if version == asset_version():
        response.cache_control.public = True
        response.cache_control.max_age = IMMUTABLE_S
        response.cache_control.immutable = True
    else:  # an older page's URL still gets today's file, revalidated on each use
        response.cache_control.no_cache = True
    return _conditional(response, etag)


def page_values(settings: GatewaySettings) -> dict[str, Any]:
    """Return what the pages are rendered with: where their files are, and what a clock needs to reach this relay."""
    return {
        "assets": f"/page/{asset_version()}",
        "mqtt_host": settings.public_mqtt_host or "",
        "mqtt_port": settings.public_mqtt_port,
        "hide_presence": _flag(settings.hide_presence),
        "topic_root": TOPIC_ROOT,
        "token_min": TOKEN_MIN_CHARS,
        "token_max": TOKEN_MAX_CHARS,
        "token_length": GENERATED_TOKEN_CHARS,
        "prefix_max": AWTRIX3_PREFIX_MAX_CHARS,
    }


def _rendered(template: str) -> Response:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    rendered: dict[str, tuple[bytes, str]] = app.extensions.setdefault(RENDERED_KEY, {})
    if template not in rendered:  # the settings are fixed for the app's life, so each page is rendered once
        body = render_template(template, **page_values(settings_of(app))).encode()
        rendered[template] = (body, hashlib.sha256(body).hexdigest()[:32])
    body, etag = rendered[template]
    response = Response(body, mimetype="text/html")
    response.cache_control.no_cache = True  # revalidated on every visit: the page names the files' version
    return _conditional(response, etag)


def _conditional(response: Response, etag: str) -> Response:
    """Add the ETag and the security headers, and answer 304 when the client already has this content."""
    response.set_etag(etag)
    response.headers.update(SECURITY_HEADERS)
    return response.make_conditional(request)


def _flag(value: bool) -> str:
    return "true" if value else "false"
