"""Read typed settings from an environment mapping, collecting every problem instead of stopping at the first."""

from collections.abc import Mapping
from typing import TypeVar

Num = TypeVar("Num", int, float)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class EnvReader:
    """Read typed values from an environment, collecting problems instead of stopping at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        """Read from environ; no problem yet."""
        self.environ = environ
        self.problems: list[str] = []

    def fail(self, name: str, problem: str) -> None:
        """Record a problem with the variable name."""
        self.problems.append(f"{name}: {problem}")

    def text(self, name: str, default: str | None = None) -> str | None:
        """Return the variable's text, or default when it is unset or empty."""
        # An empty variable counts as unset: compose files and .env templates often leave them empty.
        value = self.environ.get(name, "").strip()
        return value or default

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """Return a whole number in [low, high], or default (recording a problem if it was invalid)."""
        return self._bounded(name, default, int, low, high, "a whole number")

    def number(self, name: str, default: float, low: float, high: float) -> float:
        """Return a number in [low, high], or default (recording a problem if it was invalid)."""
        return self._bounded(name, default, float, low, high, "a number")

    def _bounded(self, name: str, default: Num, kind: type[Num], low: float, high: float, what: str) -> Num:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:  # NaN fails the comparison too
            self.fail(name, f"must be {what} from {low} to {high}")
            return default
        return value

    def boolean(self, name: str, default: bool) -> bool:
        """Return true/false (also 1/0, yes/no, on/off), or default (recording a problem if it was invalid)."""
        raw = self.text(name)
        if raw is None:
            return default
        value = parse_bool(raw)
        if value is None:
            self.fail(name, "must be true or false")
            return default
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        """Return one of choices (compared in upper case), or default (recording a problem if it was invalid)."""
        raw = (self.text(name) or default).upper()
        if raw not in choices:
            self.fail(name, f"must be one of {', '.join(choices)}")
            return default
        return raw


def parse_bool(raw: str) -> bool | None:
    """Return the boolean an environment value spells (true/false, 1/0, yes/no, on/off), else None."""
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None
