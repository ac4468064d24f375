"""Tenants' JsonLogic rules: validated when saved, compiled once into Python closures, evaluated on every event.

Why compile: ingest evaluates every active rule of a tenant per event, so interpreting the JSON each time (a dict
walk and an operator lookup per node, per event) is the cost to avoid. `compile_rule()` validates the rule
(`RuleError` names the operator and the place), then turns every node into a closure: `var` paths are split once,
comparisons against a numeric literal skip the generic coercion, `in` against a literal list becomes a set test,
`if` drops branches whose condition is a literal, and subtrees that read no data fold into their value.

Semantics are panzi-json-logic's (see `operators.py`), with these deliberate differences, all refusals at save time
or side effects, never a different value:
* arity is checked (`ARITY`); panzi ignores surplus arguments and fills missing ones with null;
* `reduce`'s initial value must be a literal: panzi uses it unevaluated while JsonLogic evaluates it;
* the custom operators (`features.py`) exist only at the top scope, never inside map/filter/reduce/all/some/none,
  and `var` may not read `features` there;
* `log` writes to the `loyalty.rules` logger at DEBUG, not to stdout (a worker's stdout is not a tenant's);
* a rule deeper than `MAX_DEPTH` or larger than `MAX_NODES` is refused (it would be a denial of service).

The limits bound a rule, not its evaluation: a `reduce` whose logic doubles the accumulator (`merge` or `cat` of
it with itself, `*` of it by itself) grows exponentially with the length of the list it walks, in panzi as here.
"""

from __future__ import annotations

import copy
import difflib
import logging
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from math import isfinite, isnan
from typing import Any, Final

from loyalty.rules import errors
from loyalty.rules.errors import MissingFeatureError, RuleError
from loyalty.rules.features import FEATURES_KEY, MAX_DAYS, MIN_DAYS, FeatureRequest
from loyalty.rules.operators import (
    ITERATION_OPERATORS,
    SCALARS,
    STANDARD_ARITY,
    UNBOUNDED,
    add,
    cat,
    greater_or_equal,
    greater_than,
    in_,
    less_or_equal,
    less_than,
    loose_equals,
    maximum,
    merge,
    minimum,
    missing,
    missing_some,
    multiply,
    substr,
    to_number,
    to_string,
    truthy,
    var_lookup,
    walk_path,
)

MAX_DEPTH: Final = 32
MAX_NODES: Final = 2000

CUSTOM_ARITY: Final[dict[str, tuple[int, int]]] = {
    "count_events": (2, 2),
    "sum_events": (3, 3),
    "day_of_week": (0, 0),
    "hour_of_day": (0, 0),
    "first_event": (0, 1),
}
ARITY: Final[dict[str, tuple[int, int]]] = {**STANDARD_ARITY, **CUSTOM_ARITY}
OPERATORS: Final = frozenset(ARITY)

# Each custom operator's literal arguments: (name, "type" | "field" | "days")
_CUSTOM_ARGUMENTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "count_events": (("event_type", "type"), ("days", "days")),
    "sum_events": (("event_type", "type"), ("field", "field"), ("days", "days")),
    "day_of_week": (),
    "hour_of_day": (),
    "first_event": (("event_type", "type"),),
}
# Reading no data and causing no effect: such a subtree may be evaluated once, at compile time.
_PURE_OPERATORS: Final = frozenset(STANDARD_ARITY) - {"var", "missing", "missing_some", "log"} - ITERATION_OPERATORS

logger = logging.getLogger("loyalty.rules")
_ABSENT: Final = object()

Fn = Callable[[Any], Any]


class CompiledRule:
    """A validated rule as a callable: `rule(data)` is JsonLogic's value, `rule.is_true(data)` its truthiness.
    `features` is what its custom operators read, for `required_features()`."""

    __slots__ = ("_fn", "features", "rule")

    def __init__(self, rule: Any, fn: Fn, features: FeatureRequest) -> None:
        self.rule = rule  # a private copy: the closures hold its literals, so the caller's later edits cannot leak in
        self.features = features
        self._fn = fn

    def __call__(self, data: Any) -> Any:
        return self._fn(data)

    def is_true(self, data: Any) -> bool:
        return truthy(self._fn(data))

    def __repr__(self) -> str:
        return f"CompiledRule({self.rule!r})"


def required_features(compiled_rules: Iterable[CompiledRule]) -> FeatureRequest:
    """Everything a tenant's rules read from `data["features"]`: compute this once per event."""
    request = FeatureRequest()
    for rule in compiled_rules:
        request |= rule.features
    return request


def validate_rule(rule: Any) -> None:
    """Raise `RuleError` for a rule that must not be saved; return None for one that compiles."""
    _Validator().value(rule, "", 1, top_scope=True)


def compile_rule(rule: Any) -> CompiledRule:
    """Validate, then compile once; the result is safe to share between threads (it keeps no state)."""
    validate_rule(rule)
    own = copy.deepcopy(rule)
    wanted = _Wanted()
    node = _compile(own, wanted)
    return CompiledRule(own, node.fn, wanted.freeze())


# --- validation ------------------------------------------------------------------------------------------------


def _arity_text(least: int, most: int) -> str:
    if most == UNBOUNDED:
        return f"at least {least} argument{'s' if least != 1 else ''}"
    if least == most:
        return f"{least} argument{'s' if least != 1 else ''}"
    if most == least + 1:
        return f"{least} or {most} arguments"
    return f"{least} to {most} arguments"


def _kind(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        return f"the operator {next(iter(value))!r}"
    return {list: "a list", dict: "an object", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _root(path: str) -> str:
    return path.split(".", 1)[0]


class _Validator:
    def __init__(self) -> None:
        self.nodes = 0

    def _count(self, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise RuleError(errors.TOO_DEEP, f"the rule nests deeper than {MAX_DEPTH} levels", path)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise RuleError(errors.TOO_LARGE, f"the rule has more than {MAX_NODES} nodes", path)

    def value(self, node: Any, path: str, depth: int, *, top_scope: bool) -> None:
        self._count(path, depth)
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.value(item, f"{path}[{index}]", depth + 1, top_scope=top_scope)
        elif isinstance(node, dict) and len(node) == 1:
            self.operation(node, path, depth, top_scope=top_scope)
        elif isinstance(node, dict):
            self.object(node, path, depth)
        else:
            self.scalar(node, path)

    def scalar(self, node: Any, path: str) -> None:
        if node is None or isinstance(node, (str, int)):  # bool is an int
            return
        if isinstance(node, float):
            if not isfinite(node):
                raise RuleError(errors.NOT_JSON, f"{node!r} is not a JSON number", path)
            return
        raise RuleError(errors.NOT_JSON, f"a {type(node).__name__} is not a JSON value", path)

    def object(self, node: dict[Any, Any], path: str, depth: int) -> None:
        """An object with other than one key is a value, returned as it is: its contents are data, not logic."""
        for key, item in node.items():
            if not isinstance(key, str):
                raise RuleError(errors.NOT_JSON, f"object keys must be strings, not {type(key).__name__}", path)
            self.literal(item, f"{path}.{key}" if path else key, depth + 1, operations_allowed=True)

    def literal(self, node: Any, path: str, depth: int, *, operations_allowed: bool) -> None:
        """JSON checked without reading it as logic. Where the value is used unevaluated (`reduce`'s initial
        value), a one-key object would be an operation in JsonLogic and a plain object in panzi: refused."""
        self._count(path, depth)
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.literal(item, f"{path}[{index}]", depth + 1, operations_allowed=operations_allowed)
        elif isinstance(node, dict):
            if len(node) == 1 and not operations_allowed:
                raise RuleError(
                    errors.NOT_LITERAL,
                    f"reduce's initial value must be a literal, not {_kind(node)}: JsonLogic evaluates it and "
                    "panzi-json-logic does not, so its meaning would depend on the engine",
                    path,
                )
            for key, item in node.items():
                if not isinstance(key, str):
                    raise RuleError(errors.NOT_JSON, f"object keys must be strings, not {type(key).__name__}", path)
                self.literal(item, f"{path}.{key}" if path else key, depth + 1, operations_allowed=True)
        else:
            self.scalar(node, path)

    def operation(self, node: dict[Any, Any], path: str, depth: int, *, top_scope: bool) -> None:
        op, raw = next(iter(node.items()))
        if not isinstance(op, str):
            raise RuleError(errors.NOT_JSON, f"object keys must be strings, not {type(op).__name__}", path)
        here = f"{path}.{op}" if path else op
        if op not in ARITY:
            close = difflib.get_close_matches(op, sorted(OPERATORS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RuleError(errors.UNKNOWN_OPERATOR, f"unknown operator {op!r}{hint}", here)
        args = raw if isinstance(raw, list) else [raw]
        least, most = ARITY[op]
        if len(args) < least or (most != UNBOUNDED and len(args) > most):
            raise RuleError(errors.ARITY, f"operator {op!r} takes {_arity_text(least, most)}, got {len(args)}", here)
        if op in CUSTOM_ARITY:
            self.custom(op, args, here, depth, top_scope=top_scope)
            return
        if op == "var" and top_scope and args and isinstance(args[0], str) and _root(args[0]) == FEATURES_KEY:
            raise RuleError(
                errors.RESERVED,
                f"var cannot read {FEATURES_KEY!r}: it holds the custom operators' context "
                "(use count_events, sum_events, day_of_week, hour_of_day or first_event)",
                f"{here}[0]",
            )
        for index, arg in enumerate(args):
            where = f"{here}[{index}]"
            if op == "reduce" and index == 2:
                self.literal(arg, where, depth + 1, operations_allowed=False)
            else:
                per_item = op in ITERATION_OPERATORS and index == 1
                self.value(arg, where, depth + 1, top_scope=top_scope and not per_item)

    def custom(self, op: str, args: list[Any], here: str, depth: int, *, top_scope: bool) -> None:
        if not top_scope:
            raise RuleError(
                errors.WRONG_SCOPE,
                f"{op} cannot be used inside the logic of map, filter, reduce, all, some or none: it reads this "
                "event's features, which are not in scope there",
                here,
            )
        for index, (arg, (name, kind)) in enumerate(zip(args, _CUSTOM_ARGUMENTS[op], strict=False)):
            where = f"{here}[{index}]"
            self._count(where, depth + 1)
            if isinstance(arg, dict) and len(arg) == 1:
                raise RuleError(errors.NOT_LITERAL, f"{op}'s {name} must be a literal, not {_kind(arg)}", where)
            if kind == "days":
                if type(arg) is not int:
                    raise RuleError(errors.BAD_ARGUMENT, f"{op}'s days must be a whole number, not {_kind(arg)}", where)
                if not MIN_DAYS <= arg <= MAX_DAYS:
                    raise RuleError(
                        errors.BAD_ARGUMENT, f"{op}'s days must be from {MIN_DAYS} to {MAX_DAYS}, got {arg}", where
                    )
            elif not isinstance(arg, str) or not arg:
                described = "an empty string" if arg == "" else _kind(arg)
                raise RuleError(
                    errors.BAD_ARGUMENT, f"{op}'s {name} must be a non-empty string, not {described}", where
                )


# --- compilation -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    fn: Fn
    pure: bool = False  # reads no data and has no effect: may be evaluated at compile time
    const: bool = False  # fn returns `value`, this very object, every time (scalars and object literals)
    value: Any = None
    literal: list[Any] | None = None  # a list literal whose items are all constants: those items


@dataclass(slots=True)
class _Wanted:
    event_counts: set[tuple[str, int]] = field(default_factory=set)
    event_sums: set[tuple[str, str, int]] = field(default_factory=set)
    first_event_types: set[str] = field(default_factory=set)
    first_event_of_this_type: bool = False
    day_of_week: bool = False
    hour_of_day: bool = False

    def freeze(self) -> FeatureRequest:
        return FeatureRequest(
            event_counts=frozenset(self.event_counts),
            event_sums=frozenset(self.event_sums),
            first_event_types=frozenset(self.first_event_types),
            first_event_of_this_type=self.first_event_of_this_type,
            day_of_week=self.day_of_week,
            hour_of_day=self.hour_of_day,
        )


def _const(value: Any) -> _Node:
    return _Node(lambda _data: value, pure=True, const=True, value=value)


def _fold(node: _Node) -> _Node:
    """A pure subtree becomes its value when that is a scalar. Lists stay closures (each evaluation returns a
    new list, as panzi's does: `==` on lists is identity), NaN too (`in` tells NaN objects apart), and so does
    a subtree that raises (it must raise at evaluation, where panzi does, not refuse the rule)."""
    if not node.pure or node.const:
        return node
    try:
        value = node.fn(None)
    except Exception:
        return node
    if type(value) in SCALARS and not (type(value) is float and isnan(value)):
        return _const(value)
    return node


def _compile(node: Any, wanted: _Wanted) -> _Node:
    if isinstance(node, list):
        return _list([_compile(item, wanted) for item in node])
    if isinstance(node, dict) and len(node) == 1:
        op, raw = next(iter(node.items()))
        args = raw if isinstance(raw, list) else [raw]
        return _fold(_operation(op, args, wanted))
    return _const(node)


def _list(items: list[_Node]) -> _Node:
    if all(item.const for item in items):
        template = [item.value for item in items]
        return _Node(lambda _data: template.copy(), pure=True, literal=template)
    fns = tuple(item.fn for item in items)
    return _Node(lambda data: [fn(data) for fn in fns], pure=all(item.pure for item in items))


def _operation(op: str, raw: list[Any], wanted: _Wanted) -> _Node:
    if op in CUSTOM_ARITY:
        return _Node(_custom(op, raw, wanted))
    if op == "reduce":
        return _Node(_reduce(_compile(raw[0], wanted), _compile(raw[1], wanted), raw[2]))
    args = [_compile(arg, wanted) for arg in raw]
    built = _BUILDERS[op](args)
    if isinstance(built, _Node):
        return built
    return _Node(built, pure=op in _PURE_OPERATORS and all(arg.pure for arg in args))


def _is_true(value: Any) -> bool:
    return value is True or (value is not False and truthy(value))


def _is_number(node: _Node) -> bool:
    return node.const and type(node.value) in (int, float)


# var -------------------------------------------------------------------------------------------------------------


def _var(args: list[_Node]) -> Fn | _Node:
    key = args[0] if args else None
    default = args[1] if len(args) > 1 else None
    if default is not None and not default.const:
        return _var_computed_default(key, default)
    fallback = default.value if default is not None else None
    if key is None or (key.const and (key.value is None or key.value == "")):
        return _Node(lambda data: data)
    if key.const and type(key.value) is str:
        return _Node(_path_getter(tuple(key.value.split(".")), fallback))
    key_fn = key.fn
    return _Node(lambda data: var_lookup(data, key_fn(data), fallback))


def _var_computed_default(key: _Node | None, default: _Node) -> _Node:
    """panzi evaluates the default even when the key is found, so it runs (and may raise) every time."""
    default_fn = default.fn
    if key is not None and key.const and type(key.value) is str and key.value != "":
        getter = _path_getter(tuple(key.value.split(".")), _ABSENT)

        def var_path_with_default(data: Any) -> Any:
            fallback = default_fn(data)  # first, as in panzi; the lookup itself cannot raise
            value = getter(data)
            return fallback if value is _ABSENT else value

        return _Node(var_path_with_default)
    key_fn = key.fn if key is not None else (lambda _data: None)

    def var_with_default(data: Any) -> Any:
        name = key_fn(data)
        return var_lookup(data, name, default_fn(data))

    return _Node(var_with_default)


def _path_getter(parts: tuple[str, ...], default: Any) -> Fn:
    """A dotted path, split once: plain dicts are walked inline, anything else takes panzi's generic walk."""
    if len(parts) == 1:
        (first,) = parts

        def get1(data: Any) -> Any:
            if type(data) is dict:
                value = data.get(first)
                return default if value is None else value
            return walk_path(data, parts, default)

        return get1
    if len(parts) == 2:
        first, second = parts
        rest = parts[1:]

        def get2(data: Any) -> Any:
            if type(data) is dict:
                value = data.get(first)
                if type(value) is dict:
                    value = value.get(second)
                    return default if value is None else value
                return walk_path(value, rest, default)
            return walk_path(data, parts, default)

        return get2
    if len(parts) == 3:
        first, second, third = parts
        rest1, rest2 = parts[1:], parts[2:]

        def get3(data: Any) -> Any:
            if type(data) is dict:
                value = data.get(first)
                if type(value) is dict:
                    value = value.get(second)
                    if type(value) is dict:
                        value = value.get(third)
                        return default if value is None else value
                    return walk_path(value, rest2, default)
                return walk_path(value, rest1, default)
            return walk_path(data, parts, default)

        return get3
    return lambda data: walk_path(data, parts, default)


def _missing(args: list[_Node]) -> Fn:
    keys: list[Any] | None = None
    if args and all(arg.const for arg in args):
        keys = [arg.value for arg in args]
    elif len(args) == 1 and args[0].literal is not None:
        keys = args[0].literal  # {"missing": [["a", "b"]]}: the list is the keys
    if keys is not None and all(type(key) is str and key != "" for key in keys):
        getters = tuple((key, _path_getter(tuple(key.split(".")), None)) for key in keys)

        def missing_paths(data: Any) -> list[Any]:
            absent = []
            for key, getter in getters:
                value = getter(data)
                if value is None or value == "":
                    absent.append(key)
            return absent

        return missing_paths
    fns = tuple(arg.fn for arg in args)
    return lambda data: missing(data, *[fn(data) for fn in fns])


def _missing_some(args: list[_Node]) -> Fn:
    need_fn, keys_fn = args[0].fn, args[1].fn
    return lambda data: missing_some(data, need_fn(data), keys_fn(data))


# comparisons -----------------------------------------------------------------------------------------------------

_GENERIC_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": less_than,
    "<=": less_or_equal,
    ">": greater_than,
    ">=": greater_or_equal,
}
_NATIVE_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _order(op: str) -> Callable[[list[_Node]], Fn]:
    generic = _GENERIC_ORDER[op]
    native = _NATIVE_ORDER[op]

    def build(args: list[_Node]) -> Fn:
        if len(args) == 3:
            return _between(generic, native, *args)
        left, right = args
        left_fn, right_fn = left.fn, right.fn
        if _is_number(right):
            # generic(a, k) with k a number is native(to_number(a), k), whatever a is
            bound = right.value

            def against_number(data: Any) -> bool:
                a = left_fn(data)
                if type(a) is int or type(a) is float:
                    return bool(native(a, bound))
                return bool(native(to_number(a), bound))

            return against_number
        if _is_number(left):
            start = left.value

            def number_against(data: Any) -> bool:
                b = right_fn(data)
                if type(b) is int or type(b) is float:
                    return bool(native(start, b))
                return bool(native(start, to_number(b)))

            return number_against
        return lambda data: generic(left_fn(data), right_fn(data))

    return build


def _between(generic: Callable[[Any, Any], bool], native: Callable[[Any, Any], Any], *args: _Node) -> Fn:
    low, middle, high = args
    low_fn, middle_fn, high_fn = low.fn, middle.fn, high.fn
    if _is_number(low) and _is_number(high):
        lowest, highest = low.value, high.value

        def within(data: Any) -> bool:
            b = middle_fn(data)
            if type(b) is not int and type(b) is not float:
                b = to_number(b)
            return bool(native(lowest, b)) and bool(native(b, highest))

        return within

    def between(data: Any) -> bool:
        a, b, c = low_fn(data), middle_fn(data), high_fn(data)
        if c is None:  # an evaluated null third argument means the two-argument form, as in panzi
            return generic(a, b)
        return generic(a, b) and generic(b, c)

    return between


def _equality(negate: bool) -> Callable[[list[_Node]], Fn]:
    def build(args: list[_Node]) -> Fn:
        left, right = args
        left_fn, right_fn = left.fn, right.fn
        if left.const and not right.const:
            left, right = right, left  # loose equality is symmetric in panzi for these literal types
            left_fn, right_fn = right_fn, left_fn
        if right.const and type(right.value) in (int, float, bool):
            # loose_equals(a, k) with k a number or a boolean is to_number(a) == k, whatever a is
            number = right.value

            def equals_number(data: Any) -> bool:
                a = left_fn(data)
                if type(a) is not int and type(a) is not float:
                    a = to_number(a)
                same: bool = a == number
                return not same if negate else same

            return equals_number
        if right.const and type(right.value) is str:
            text = right.value

            def equals_text(data: Any) -> bool:
                a = left_fn(data)
                same = (a == text) if type(a) is str else loose_equals(a, text)
                return not same if negate else same

            return equals_text
        if negate:
            return lambda data: not loose_equals(left_fn(data), right_fn(data))
        return lambda data: loose_equals(left_fn(data), right_fn(data))

    return build


def _strict(negate: bool) -> Callable[[list[_Node]], Fn]:
    def build(args: list[_Node]) -> Fn:
        left_fn, right_fn = args[0].fn, args[1].fn
        if negate:
            return lambda data: left_fn(data) != right_fn(data)
        return lambda data: left_fn(data) == right_fn(data)

    return build


# logic -----------------------------------------------------------------------------------------------------------


def _not(args: list[_Node]) -> Fn:
    fn = args[0].fn
    return lambda data: not _is_true(fn(data))


def _not_not(args: list[_Node]) -> Fn:
    fn = args[0].fn
    return lambda data: _is_true(fn(data))


def _and(args: list[_Node]) -> Fn | _Node:
    """The first falsy value, or the last one."""
    if len(args) == 1:
        return args[0]
    fns = tuple(arg.fn for arg in args)
    if len(fns) == 2:
        first, second = fns

        def and2(data: Any) -> Any:
            value = first(data)
            if value is True or (value is not False and truthy(value)):
                return second(data)
            return value

        return and2

    def and_n(data: Any) -> Any:
        value = None
        for fn in fns:
            value = fn(data)
            if value is not True and (value is False or not truthy(value)):
                return value
        return value

    return and_n


def _or(args: list[_Node]) -> Fn | _Node:
    """The first truthy value, or the last one."""
    if len(args) == 1:
        return args[0]
    fns = tuple(arg.fn for arg in args)
    if len(fns) == 2:
        first, second = fns

        def or2(data: Any) -> Any:
            value = first(data)
            if value is True or (value is not False and truthy(value)):
                return value
            return second(data)

        return or2

    def or_n(data: Any) -> Any:
        value = None
        for fn in fns:
            value = fn(data)
            if value is True or (value is not False and truthy(value)):
                return value
        return value

    return or_n


def _if(args: list[_Node]) -> Fn | _Node:
    """if/then/elif/.../else; a literal condition picks its branch now (panzi never evaluates the others)."""
    branches: list[tuple[Fn, Fn]] = []
    otherwise: _Node | None = None
    index = 0
    while index < len(args) - 1:
        condition, then = args[index], args[index + 1]
        index += 2
        if condition.const:
            if truthy(condition.value):
                otherwise = then
                break
            continue
        branches.append((condition.fn, then.fn))
    else:
        if index < len(args):
            otherwise = args[index]
    if otherwise is None:
        otherwise = _const(None)
    if not branches:
        return otherwise
    pure = all(arg.pure for arg in args)
    else_fn = otherwise.fn
    if len(branches) == 1:
        ((condition_fn, then_fn),) = branches

        def if1(data: Any) -> Any:
            value = condition_fn(data)
            if value is True or (value is not False and truthy(value)):
                return then_fn(data)
            return else_fn(data)

        return _Node(if1, pure=pure)
    pairs = tuple(branches)

    def if_n(data: Any) -> Any:
        for condition_fn, then_fn in pairs:
            value = condition_fn(data)
            if value is True or (value is not False and truthy(value)):
                return then_fn(data)
        return else_fn(data)

    return _Node(if_n, pure=pure)


# numbers and strings ---------------------------------------------------------------------------------------------


def _plus(args: list[_Node]) -> Fn:
    fns = tuple(arg.fn for arg in args)
    if len(fns) == 1:
        (only,) = fns
        return lambda data: 0 + to_number(only(data))  # 0 + keeps panzi's types: +true is 1, +(-0.0) is 0.0
    if len(fns) == 2:
        first, second = fns

        def plus2(data: Any) -> Any:
            a, b = first(data), second(data)  # both evaluated before either is coerced, as in panzi
            if type(a) is not int and type(a) is not float:
                a = to_number(a)
            if type(b) is not int and type(b) is not float:
                b = to_number(b)
            return 0 + a + b

        return plus2
    return lambda data: add(*[fn(data) for fn in fns])


def _times(args: list[_Node]) -> Fn:
    fns = tuple(arg.fn for arg in args)
    if len(fns) == 2:
        first, second = fns

        def times2(data: Any) -> Any:
            a, b = first(data), second(data)
            if type(a) is not int and type(a) is not float:
                a = to_number(a)
            if type(b) is not int and type(b) is not float:
                b = to_number(b)
            return 1 * a * b

        return times2
    return lambda data: multiply(*[fn(data) for fn in fns])


def _minus(args: list[_Node]) -> Fn:
    first = args[0].fn
    if len(args) == 1:
        return lambda data: -to_number(first(data))
    second = args[1].fn

    def minus2(data: Any) -> Any:
        a, b = first(data), second(data)
        return -to_number(a) if b is None else to_number(a) - to_number(b)

    return minus2


def _binary(native: Callable[[Any, Any], Any]) -> Callable[[list[_Node]], Fn]:
    def build(args: list[_Node]) -> Fn:
        first, second = args[0].fn, args[1].fn

        def arithmetic(data: Any) -> Any:
            a, b = first(data), second(data)
            return native(to_number(a), to_number(b))

        return arithmetic

    return build


def _variadic(function: Callable[..., Any]) -> Callable[[list[_Node]], Fn]:
    def build(args: list[_Node]) -> Fn:
        fns = tuple(arg.fn for arg in args)
        return lambda data: function(*[fn(data) for fn in fns])

    return build


def _in(args: list[_Node]) -> Fn:
    needle_fn, haystack = args[0].fn, args[1]
    if haystack.literal is not None and all(type(item) in SCALARS for item in haystack.literal):
        members = frozenset(haystack.literal)  # same hash and == as the list's items, so the same answers

        def in_members(data: Any) -> bool:
            needle = needle_fn(data)
            try:
                return needle in members
            except TypeError:  # a list or an object: equal to no scalar
                return False

        return in_members
    if haystack.const and type(haystack.value) is str:
        text = haystack.value

        def in_text(data: Any) -> bool:
            needle = needle_fn(data)
            return (needle if type(needle) is str else to_string(needle)) in text

        return in_text
    haystack_fn = haystack.fn
    return lambda data: in_(needle_fn(data), haystack_fn(data))


def _log(args: list[_Node]) -> Fn:
    fn = args[0].fn

    def log(data: Any) -> Any:
        value = fn(data)
        logger.debug("rule log: %r", value)
        return value

    return log


# arrays ----------------------------------------------------------------------------------------------------------


def _iteration(op: str) -> Callable[[list[_Node]], Fn]:
    def build(args: list[_Node]) -> Fn:
        items_fn, each = args[0].fn, args[1].fn  # `each` sees one item as its whole data
        if op == "map":

            def map_(data: Any) -> Any:
                items = items_fn(data)
                return [each(item) for item in items] if isinstance(items, list) else []

            return map_
        if op == "filter":

            def filter_(data: Any) -> Any:
                items = items_fn(data)
                return [item for item in items if _is_true(each(item))] if isinstance(items, list) else []

            return filter_
        if op == "all":

            def all_(data: Any) -> bool:
                items = items_fn(data)
                if not isinstance(items, list) or not items:
                    return False  # JsonLogic: "all" of nothing is false
                return all(_is_true(each(item)) for item in items)

            return all_
        if op == "some":

            def some(data: Any) -> bool:
                items = items_fn(data)
                return isinstance(items, list) and any(_is_true(each(item)) for item in items)

            return some

        def none(data: Any) -> bool:
            items = items_fn(data)
            return not isinstance(items, list) or not any(_is_true(each(item)) for item in items)

        return none

    return build


def _reduce(items: _Node, each: _Node, initial: Any) -> Fn:
    """One context dict per evaluation, updated in place, as panzi's: the logic sees `current` and `accumulator`."""
    items_fn, each_fn = items.fn, each.fn

    def reduce_(data: Any) -> Any:
        values = items_fn(data)
        if not isinstance(values, list):
            return initial
        context: dict[str, Any] = {"accumulator": initial}
        for value in values:
            context["current"] = value
            context["accumulator"] = each_fn(context)
        return context["accumulator"]

    return reduce_


# custom operators ------------------------------------------------------------------------------------------------


def _custom(op: str, args: list[Any], wanted: _Wanted) -> Fn:
    if op == "count_events":
        window = (args[0], args[1])
        wanted.event_counts.add(window)
        return _lookup("event_counts", window, f"count_events{window!r}")
    if op == "sum_events":
        sums_window = (args[0], args[1], args[2])
        wanted.event_sums.add(sums_window)
        return _lookup("event_sums", sums_window, f"sum_events{sums_window!r}")
    if op == "first_event" and args:
        wanted.first_event_types.add(args[0])
        return _lookup("first_event", args[0], f"first_event({args[0]!r})")
    if op == "first_event":
        wanted.first_event_of_this_type = True
        return _attribute("first_event_of_this_type", "first_event()")
    if op == "day_of_week":
        wanted.day_of_week = True
        return _attribute("day_of_week", "day_of_week")
    wanted.hour_of_day = True
    return _attribute("hour_of_day", "hour_of_day")


def _lookup(mapping: str, key: Any, name: str) -> Fn:
    table = operator.attrgetter(mapping)

    def read(data: Any) -> Any:
        try:
            return table(data[FEATURES_KEY])[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            raise MissingFeatureError(
                f'{name}: data["{FEATURES_KEY}"].{mapping} lacks it; compute what required_features() asks for'
            ) from None

    return read


def _attribute(name: str, label: str) -> Fn:
    def read(data: Any) -> Any:
        try:
            value = getattr(data[FEATURES_KEY], name)
        except (KeyError, IndexError, TypeError, AttributeError):
            value = None
        if value is None:
            raise MissingFeatureError(
                f'{label}: data["{FEATURES_KEY}"].{name} is not set; compute what required_features() asks for'
            )
        return value

    return read


_BUILDERS: Final[dict[str, Callable[[list[_Node]], Fn | _Node]]] = {
    "var": _var,
    "missing": _missing,
    "missing_some": _missing_some,
    "if": _if,
    "?:": _if,
    "==": _equality(negate=False),
    "!=": _equality(negate=True),
    "===": _strict(negate=False),
    "!==": _strict(negate=True),
    "<": _order("<"),
    "<=": _order("<="),
    ">": _order(">"),
    ">=": _order(">="),
    "!": _not,
    "!!": _not_not,
    "and": _and,
    "or": _or,
    "+": _plus,
    "*": _times,
    "-": _minus,
    "/": _binary(operator.truediv),
    "%": _binary(operator.mod),
    "min": _variadic(minimum),
    "max": _variadic(maximum),
    "cat": _variadic(cat),
    "substr": _variadic(substr),
    "in": _in,
    "merge": _variadic(merge),
    "log": _log,
    "map": _iteration("map"),
    "filter": _iteration("filter"),
    "all": _iteration("all"),
    "some": _iteration("some"),
    "none": _iteration("none"),
}
