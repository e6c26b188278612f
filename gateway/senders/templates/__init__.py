"""The preset templates (?template=<name>): one TOML file per sender in this folder, each key a field's Jinja template.

A preset's fields are the gateway's field names (text, color, icon, ...); query fields override them.
template=yes names no preset: the query's own fields are the templates.
"""

import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path

from gateway.errors import UnknownTemplate

INLINE = "yes"
FOLDER = Path(__file__).parent


@functools.cache
def presets() -> dict[str, dict[str, str]]:
    """Return every preset by name (its file's name), read once."""
    return {path.stem: _read(path) for path in sorted(FOLDER.glob("*.toml"))}


def template_names() -> list[str]:
    """Return what ?template= may name: every preset, and yes for inline templates."""
    return [*presets(), INLINE]


def preset(name: str) -> Mapping[str, str]:
    """Return the field templates of a preset (none for template=yes); raise UnknownTemplate."""
    if name == INLINE:
        return {}
    found = presets().get(name)
    if found is None:
        raise UnknownTemplate(f"Unknown template; use one of: {', '.join(template_names())}.")
    return found


def _read(path: Path) -> dict[str, str]:
    with path.open("rb") as file:
        table = tomllib.load(file)
    if not all(isinstance(value, str) for value in table.values()):
        raise ValueError(f"{path.name}: every field of a preset is a template string")
    return table
