"""The web page's files: where each one lives, its media type, one version for them all, and the headers they carry."""

import functools
import hashlib
import importlib.util
from pathlib import Path

WEB = Path(__file__).parent / "web"
# Swagger UI's own distribution, as the flask-swagger-ui package installs it: served from here, never from a CDN.
# Found without importing the package (it imports importlib.metadata and more): a bigger heap made every
# webhook ~6,000 instructions dearer in callgrind (bench/callgrind_webhook.py).
SWAGGER_UI = Path(importlib.util.find_spec("flask_swagger_ui").origin or "").parent / "dist"  # type: ignore[union-attr]
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js")
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
PAGES = ("page.html", "docs.html")
# A year: a file's URL names the version of every file (asset_version), so a changed file gets a new URL.
IMMUTABLE_S = 31_536_000
VERSION_CHARS = 12
# The page and the API reference load only this relay's own files, talk only to this relay, and cannot be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@functools.cache
def asset_files() -> dict[str, Path]:
    """Return every file served under /page/<version>/, by the name in its URL."""
    ours = {path.name: path for path in sorted(WEB.iterdir()) if path.suffix in MEDIA_TYPES}
    return {**ours, **{name: SWAGGER_UI / name for name in SWAGGER_UI_FILES}}


@functools.cache
def asset_version() -> str:
    """Return a digest of every served file's bytes and the pages that name them, worked out once per process."""
    digest = hashlib.sha256()
    for name, path in sorted({**asset_files(), **{page: WEB / page for page in PAGES}}.items()):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:VERSION_CHARS]


@functools.cache
def asset_content(name: str) -> tuple[bytes, str]:
    """Return a served file's bytes and their digest (its ETag), read once per process.

    Held in memory rather than streamed: the worker sends each answer whole anyway, and an ETag made of the
    content is the same on every worker and every instance, where one made of the file's time is not.
    """
    content = asset_files()[name].read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:32]


def media_type(name: str) -> str:
    """Return the Content-Type of a served file."""
    return MEDIA_TYPES[Path(name).suffix]
