"""The template sandbox: Jinja's immutable sandbox, every loop, call, operator and output metered (gateway.senders.budget)."""

from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace, pass_context
from jinja2.visitor import NodeTransformer

from gateway.errors import TemplateTooExpensive
from gateway.senders import budget
from gateway.senders.budget import CALL_COST, LOOP_COST, MAX_DEPTH, charge, check_size, estimated_size, size_of
from gateway.senders.filters import check_format_string, check_replace, metered_filters

MAX_INT_BITS = 65_536  # integers a template computes; Python takes a long time over much larger ones
# Methods a template may call on JSON's types; the rest (format, center, zfill, to_bytes, ...) can build huge values.
METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower isnumeric isspace "
        "istitle isupper lower lstrip partition removeprefix removesuffix replace rfind rindex rpartition rsplit "
        "rstrip split splitlines startswith strip swapcase title upper".split()
    ),
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    int: frozenset(),
    float: frozenset(),
    bool: frozenset(),
}


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """A Jinja environment for untrusted templates over untrusted JSON, bounded in time and memory."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self) -> None:
        """Set up the metered filters, a small set of globals, and no loader (templates cannot include others)."""
        # optimized=False: Jinja would otherwise evaluate constant expressions while compiling, outside any budget.
        super().__init__(
            undefined=ChainableUndefined, autoescape=False, optimized=False, trim_blocks=True, lstrip_blocks=True,
            finalize=_finalize,
        )  # fmt: skip
        self.filters = metered_filters()
        self.globals = {"range": _range, "dict": dict, "namespace": Namespace, "cycler": Cycler, "joiner": Joiner}

    def compile_template(self, source: str) -> Template:
        """Compile source with its loops and ~ joins metered; raise TemplateSyntaxError."""
        tree = _Metering().visit(self.parse(source))
        tree.set_environment(self)
        return self.from_string(tree)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Allow what Jinja's immutable sandbox allows, and of JSON's types' methods only those in METHODS."""
        allowed = METHODS.get(type(obj))
        if allowed is not None and callable(value) and attr not in allowed:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        """Refuse an unsafe attribute at once, rather than print it as nothing."""
        raise SecurityError(f"The template may not use {attribute!r} of a {type(obj).__name__}.")

    def wrap_str_format(self, value: Any) -> None:
        """Give str.format no special path: is_safe_attribute refuses it (its widths pad without bound)."""
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Read a JSON object's key before an attribute of the same name (alert.values, labels.items)."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call from the template, metered, at most MAX_DEPTH calls deep."""
        current = budget.current()
        current.charge(CALL_COST + sum(map(size_of, args)) + sum(map(size_of, kwargs.values())))
        if getattr(__obj, "__name__", None) == "replace" and isinstance(getattr(__obj, "__self__", None), str):
            check_replace(__obj.__self__, *args)
        if current.depth >= MAX_DEPTH:
            raise TemplateTooExpensive(f"The template nests calls more than {MAX_DEPTH} deep.")
        current.depth += 1
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            current.depth -= 1
        current.charge(check_size(size_of(result)))
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Apply +, *, ** or % after checking that the result stays small enough to build."""
        _check_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        charge(1 + size_of(result))
        return result


class _Metering(NodeTransformer):
    """Rewrite a parsed template so each loop iteration and each ~ join is charged to the rendering's budget."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        literal = sum(len(data.data) for data in node.find_all(nodes.TemplateData))  # text written per iteration
        node.iter = _call("counted", [node.iter, nodes.Const(LOOP_COST + literal)], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call("joined", node.nodes, node.lineno)

    def visit_Extends(self, node: nodes.Node) -> nodes.Node:
        raise TemplateSyntaxError("A template cannot extend, include or import other templates.", node.lineno)

    visit_Include = visit_Import = visit_FromImport = visit_Extends


def _call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    call = nodes.Call(nodes.ImportedName(f"{budget.__name__}.{name}"), args, [], None, None)
    return call.set_lineno(lineno)


@pass_context  # also keeps Jinja from finalizing constants while compiling
def _finalize(context: Context, value: object) -> object:
    # JSON null prints as nothing, not "None"; every printed value is charged for its text.
    if value is None:
        return ""
    charge(check_size(estimated_size(value), "text"))
    return value


def _range(*args: int) -> range:
    numbers = range(*args)
    check_size(len(numbers), "range")
    return numbers


def _check_binop(name: str, left: Any, right: Any) -> None:
    sized = (str, list, tuple)
    if name == "+" and isinstance(left, sized) and isinstance(right, sized):
        check_size(len(left) + len(right))
    elif name == "*":
        for value, times in ((left, right), (right, left)):
            if isinstance(value, sized) and isinstance(times, int):
                check_size(len(value) * max(times, 0))
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length())
    elif name == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        _check_bits(abs(left).bit_length() * right)
    elif name == "%" and isinstance(left, str):
        check_format_string(left)
        check_size(len(left) + estimated_size(right), "text")


def _check_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateTooExpensive(f"The template would compute a number of more than {MAX_INT_BITS} bits.")
