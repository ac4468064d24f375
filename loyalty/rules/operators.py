"""JsonLogic's operator set and value semantics, mirroring panzi-json-logic 1.0.1 (`json_logic`) line for line.

Why mirror instead of calling panzi: the compiler specialises each node once (a `var` path split at save time, a
comparison against a numeric literal), and the specialisations must agree with the generic code they stand in for;
keeping that code here, in panzi's order of checks, lets the property tests hold both to panzi. panzi itself stays
the test oracle. The coercions are JavaScript's as panzi approximates them, quirks included (`0 == null` is true,
`"" ` is NaN as a number, `===` is Python's `==`); tenants' rules are judged by these, so they must not drift.

Operators and how many arguments each takes (`ARITY`): panzi accepts any count and ignores extras or fills in
`null`; we refuse at save time whatever panzi would ignore or JsonLogic implementations read differently (`>` with
three arguments is "between" in panzi and two-argument in json-logic-js), so a saved rule means one thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from math import isnan
from time import mktime
from typing import Any, Final
from wsgiref.handlers import format_date_time

NAN: Final = float("nan")  # one object, as panzi's: JsonLogic's `in` on lists can tell NaN objects apart
NUMERIC: Final = (int, float)  # bool is an int, as in panzi: true + 1 == 2
SCALARS: Final = (type(None), bool, int, float, str)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_INFINITIES: Final = frozenset({"inf", "-inf", "+inf"})

UNBOUNDED: Final = -1

# operator -> (least, most) arguments; most == UNBOUNDED for "any number"
STANDARD_ARITY: Final[dict[str, tuple[int, int]]] = {
    "var": (0, 2),
    "missing": (0, UNBOUNDED),
    "missing_some": (2, 2),
    "if": (1, UNBOUNDED),
    "?:": (3, 3),
    "==": (2, 2),
    "!=": (2, 2),
    "===": (2, 2),
    "!==": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    ">": (2, 2),
    ">=": (2, 2),
    "!": (1, 1),
    "!!": (1, 1),
    "and": (1, UNBOUNDED),
    "or": (1, UNBOUNDED),
    "+": (1, UNBOUNDED),
    "*": (1, UNBOUNDED),
    "-": (1, 2),
    "/": (2, 2),
    "%": (2, 2),
    "min": (1, UNBOUNDED),
    "max": (1, UNBOUNDED),
    "cat": (1, UNBOUNDED),
    "substr": (2, 3),
    "in": (2, 2),
    "merge": (0, UNBOUNDED),
    "log": (1, 1),
    "map": (2, 2),
    "filter": (2, 2),
    "all": (2, 2),
    "some": (2, 2),
    "none": (2, 2),
    "reduce": (3, 3),
}
ITERATION_OPERATORS: Final = frozenset({"map", "filter", "all", "some", "none", "reduce"})  # arg 1 runs per item


def to_number(a: Any) -> Any:
    """JavaScript's Number(), as panzi has it (returns an int, float or bool: bool is an int)."""
    if isinstance(a, NUMERIC):
        return a
    if a is None:
        return 0
    if isinstance(a, list):
        if not a:
            return 0
        if len(a) > 1:
            return NAN
        return to_number(a[0])
    if isinstance(a, dict):
        return NAN
    if isinstance(a, str) and a.strip().lower() in _INFINITIES:
        return NAN
    if isinstance(a, datetime):
        return (a - _EPOCH).total_seconds() * 1000.0
    if isinstance(a, date):
        return (datetime.combine(a, time()) - _EPOCH).total_seconds() * 1000.0  # panzi's: a naive minus an aware raises
    try:
        return float(a)
    except ValueError:
        return NAN


def to_string(value: Any) -> str:
    """JavaScript's String(), as panzi has it (floats as %.15g, lists joined by commas)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return "%.15g" % value  # noqa: UP031 (the exact format panzi uses)
    if isinstance(value, int):
        return str(value)  # bools too, so `true` is "True": panzi's order of checks, kept
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(to_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, date):
        return format_date_time(mktime(value.timetuple()))
    return str(value)


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: [] , "", 0, NaN and null are false; every object (dict) is true."""
    if value is None:
        return False
    if type(value) is bool:
        return value
    if isinstance(value, float):
        return not isnan(value) and bool(value)
    if isinstance(value, (str, int, list)):
        return bool(value)
    return True


def loose_equals(a: Any, b: Any) -> bool:
    """`==`: panzi's JS-like loose equality (lists and dicts equal only to themselves; numbers coerce)."""
    atype = type(a)
    if atype is type(b):
        if atype in (list, dict):
            return a is b
        return bool(a == b)
    if isinstance(a, NUMERIC):
        if isinstance(b, NUMERIC):
            return bool(a == b)
        return bool(a == to_number(b))
    if isinstance(b, NUMERIC):
        return bool(to_number(a) == b)
    if a is None or b is None:
        return False
    # bool is numeric, so panzi's bool branches below this point are unreachable and left out
    if isinstance(a, str):
        if isinstance(b, (list, dict)):
            return a == to_string(b)
        raise TypeError(f"cannot compare {atype.__name__} with {type(b).__name__}")
    if isinstance(a, (list, dict)):
        if isinstance(b, (list, dict)):
            return False
        if isinstance(b, str):
            return to_string(a) == b
    raise TypeError(f"cannot compare {atype.__name__} with {type(b).__name__}")


def less_than(a: Any, b: Any) -> bool:
    if isinstance(a, NUMERIC):
        return bool(a < to_number(b))
    if isinstance(b, NUMERIC):
        return bool(to_number(a) < b)
    if isinstance(a, str):
        return a < to_string(b)
    if isinstance(b, str):
        return to_string(a) < b
    return bool(to_number(a) < to_number(b))


def less_or_equal(a: Any, b: Any) -> bool:
    if isinstance(a, NUMERIC):
        return bool(a <= to_number(b))
    if isinstance(b, NUMERIC):
        return bool(to_number(a) <= b)
    if isinstance(a, str):
        return a <= to_string(b)
    if isinstance(b, str):
        return to_string(a) <= b
    return bool(to_number(a) <= to_number(b))


def greater_than(a: Any, b: Any) -> bool:
    if isinstance(a, NUMERIC):
        return bool(a > to_number(b))
    if isinstance(b, NUMERIC):
        return bool(to_number(a) > b)
    if isinstance(a, str):
        return a > to_string(b)
    if isinstance(b, str):
        return to_string(a) > b
    return bool(to_number(a) > to_number(b))


def greater_or_equal(a: Any, b: Any) -> bool:
    if isinstance(a, NUMERIC):
        return bool(a >= to_number(b))
    if isinstance(b, NUMERIC):
        return bool(to_number(a) >= b)
    if isinstance(a, str):
        return a >= to_string(b)
    if isinstance(b, str):
        return to_string(a) >= b
    return bool(to_number(a) >= to_number(b))


def walk_path(data: Any, props: Iterable[str], default: Any) -> Any:
    """Follow dotted `var` segments: dict keys, list/string indexes (canonical non-negative integers only) and
    JavaScript's `length`, which ends the walk wherever it appears."""
    for prop in props:
        if isinstance(data, (list, str)):
            if prop == "length":
                return len(data)
            try:
                index = int(prop, 10)
            except ValueError:
                return default
            if prop != str(index) or index < 0 or index >= len(data):
                return default
            data = data[index]
        elif isinstance(data, dict):
            data = data.get(prop)
        else:
            return default
    if data is None:
        return default
    return data


def var_lookup(data: Any, key: Any = None, default: Any = None) -> Any:
    """`var` with a key known only at evaluation (or a numeric one)."""
    if key is None or key == "":
        return data
    if isinstance(key, NUMERIC):
        if isinstance(data, (list, str)):
            try:
                index = int(key)
            except ValueError:  # NaN; an infinite key raises OverflowError, as in panzi
                return default
            if index != key or index < 0 or index >= len(data):
                return default
            return data[index]
        if isinstance(data, dict):
            data = data.get(key)
            if data is None:
                return default
        else:
            return default
    return walk_path(data, to_string(key).split("."), default)


def missing(data: Any, *args: Any) -> list[Any]:
    keys: Iterable[Any] = args
    if args and isinstance(args[0], list):
        keys = args[0]
    found: list[Any] = []
    for key in keys:
        value = var_lookup(data, key)
        if value is None or value == "":
            found.append(key)
    return found


def missing_some(data: Any, need_count: Any, keys: Any) -> list[Any]:
    if not isinstance(keys, list):
        return []
    need = to_number(need_count)
    absent = missing(data, keys)
    if len(keys) - len(absent) >= need:
        return []
    return absent


def substr(string: Any, index: Any, length: Any = None) -> str:
    text = to_string(string)
    start = to_number(index)
    size = len(text)
    if isnan(start):
        start = 0
    elif start < 0:
        start = -start
        start = 0 if start >= size else size - int(start)
    else:
        start = int(start)
        if start >= size:
            start = size
    if length is None:
        end = size
    else:
        count = to_number(length)
        if isnan(count):
            end = start
        else:
            count = int(count)
            end = max(size + count, start) if count < 0 else start + count
    return text[start:end]


def merge(*args: Any) -> list[Any]:
    items: list[Any] = []
    for arg in args:
        if isinstance(arg, list):
            items.extend(arg)
        else:
            items.append(arg)
    return items


def in_(needle: Any, haystack: Any) -> bool:
    if isinstance(haystack, list):
        return needle in haystack
    if isinstance(haystack, str):
        return to_string(needle) in haystack
    return False


def minus(a: Any, b: Any = None) -> Any:
    return -to_number(a) if b is None else to_number(a) - to_number(b)


def add(*args: Any) -> Any:
    value: Any = 0
    for arg in args:
        value += to_number(arg)
    return value


def multiply(*args: Any) -> Any:
    value: Any = 1
    for arg in args:
        value *= to_number(arg)
    return value


def minimum(*args: Any) -> Any:
    return min(to_number(arg) for arg in args) if args else NAN


def maximum(*args: Any) -> Any:
    return max(to_number(arg) for arg in args) if args else NAN


def cat(*args: Any) -> str:
    return "".join(to_string(arg) for arg in args)
