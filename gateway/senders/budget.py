"""What one template rendering may spend: work units, the size of any one value, call depth and CPU time.

Jinja's sandbox stops attribute escapes but bounds neither time nor memory. The sandbox (gateway.senders.sandbox)
charges every loop iteration, call, operator and output here, and checks before each operation that could
multiply a value's size that the result stays within MAX_VALUE. A thread-CPU deadline, checked at every
charge, stops whatever the units price too cheaply.
"""

import contextvars
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from jinja2.runtime import Undefined

from gateway.errors import TemplateTooExpensive

MAX_WORK = 500_000  # units: about one per character or item touched, 32 per loop iteration or call
MAX_VALUE = 65_536  # characters of a string, or items of a list or mapping, a template may build
MAX_DEPTH = 20  # nested calls: macros calling macros, recursive loops
MAX_CPU_S = 0.1  # CPU time of one rendering, whatever the units say
LOOP_COST = 32
CALL_COST = 32
_SCALAR_SIZE = 24  # what str() of a number, a boolean or None may take, for size estimates


@dataclass
class Budget:
    """What is left for one rendering."""

    work: int = MAX_WORK
    depth: int = 0
    cpu_deadline: float = field(default_factory=lambda: time.thread_time() + MAX_CPU_S)

    def charge(self, units: int) -> None:
        """Spend units of work; raise TemplateTooExpensive when the work or the CPU time is used up."""
        self.work -= units
        if self.work < 0:
            raise TemplateTooExpensive(f"The template needs more than {MAX_WORK} units of work (loops, calls, text).")
        if time.thread_time() > self.cpu_deadline:
            raise TemplateTooExpensive(f"The template ran for more than {MAX_CPU_S} s of CPU time.")


_CURRENT: contextvars.ContextVar[Budget] = contextvars.ContextVar("gateway.template_budget")


def start() -> contextvars.Token[Budget]:
    """Give the calling context a fresh budget; pass the token to finish()."""
    return _CURRENT.set(Budget())


def finish(token: contextvars.Token[Budget]) -> None:
    """Take back the budget start() gave."""
    _CURRENT.reset(token)


def current() -> Budget:
    """Return the budget of the rendering under way."""
    return _CURRENT.get()


def charge(units: int) -> None:
    """Spend units from the rendering under way."""
    _CURRENT.get().charge(units)


def check_size(size: int, what: str = "value") -> int:
    """Return size, or raise TemplateTooExpensive when a value that large would be built."""
    if size > MAX_VALUE:
        raise TemplateTooExpensive(f"The template would build a {what} of more than {MAX_VALUE} characters or items.")
    return size


def estimated_size(value: object, limit: int = MAX_VALUE) -> int:
    """Return about how many characters str(value) has, counting no further than just past limit."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Undefined) or value is None:
        return 0
    if not isinstance(value, list | tuple | dict):
        return _SCALAR_SIZE
    total = 2
    items: Iterable[object] = value.items() if isinstance(value, Mapping) else value
    for item in items:
        total += 2 + estimated_size(item, limit - total)
        if total > limit:
            break
    return total


def size_of(value: object) -> int:
    """Return the length of a string, list, tuple or mapping, else 1."""
    return len(value) if isinstance(value, str | list | tuple | dict) else 1


def counted(iterable: Iterable[object], cost: int) -> Iterator[object]:
    """Yield what a {% for %} loop iterates over, charging cost for each item (the loop's rewritten iterable)."""
    budget = _CURRENT.get()
    for item in iterable:
        budget.charge(cost)
        yield item


def joined(*parts: object) -> str:
    """Return the parts of a ~ expression joined as text, refusing a result over MAX_VALUE (the rewritten ~)."""
    budget = _CURRENT.get()
    check_size(sum(estimated_size(part) for part in parts), "text")
    text = "".join("" if isinstance(part, Undefined) else str(part) for part in parts)
    budget.charge(1 + len(text))
    return text
