"""The compiler against its reference, panzi-json-logic (`json_logic.jsonLogic`), on random rules over random data.

Rules are built from the standard operators with the arities `ARITY` allows (what the compiler refuses is tested
in test_rules.py), over data with the shapes rules meet: nested objects and lists, numbers of every kind, strings
that coerce and strings that do not, paths that exist and paths that do not. The value must be the same, type
included (1 is not 1.0 is not true), and where panzi raises the compiled rule raises the same exception type.
Left out: `log` (ours logs instead of printing) and the custom operators (panzi has none of its own).
"""

import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_logic import jsonLogic

from loyalty.rules import compile_rule, truthy, validate_rule
from loyalty.rules.operators import STANDARD_ARITY, UNBOUNDED

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

KEYS = ["a", "b", "c", "0", "1", "x", "length", "current", "accumulator"]
PATHS = ["a", "b", "a.b", "a.0", "a.1", "0", "1", "1.a", "a.length", "length", "", "b.c.a", "a.b.c", "a.b.c.d", "x.y"]
TEXTS = [
    "",
    "a",
    "b",
    "0",
    "1",
    "2",
    "-3",
    "1.5",
    " 4 ",
    "inf",
    "-Infinity",
    "nan",
    "abc",
    "true",
    "null",
    "a.b",
    "1e3",
]

texts = st.sampled_from(TEXTS) | st.text(alphabet="ab01. -", max_size=4)
ints = st.integers(-5, 5) | st.integers(-(2**70), 2**70)
finite_floats = st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.5, -2.5, 3.0, 1e308, 1e-300]) | st.floats(
    allow_nan=False, allow_infinity=False
)
rule_scalars = st.none() | st.booleans() | ints | finite_floats | texts
data_scalars = rule_scalars | st.sampled_from([math.nan, math.inf, -math.inf])
data_values = st.recursive(
    data_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=16,
)

# Literal values a rule may carry: one-key objects would be operations, so objects have 0 or 2+ keys.
object_literals = st.builds(dict) | st.dictionaries(st.sampled_from(KEYS), rule_scalars, min_size=2, max_size=3)
literal_values = rule_scalars | object_literals | st.lists(rule_scalars | object_literals, max_size=3)

var_keys = st.sampled_from(PATHS) | st.sampled_from([0, 1, 2, 1.0, 1.5, -1, True, False, None])
static_vars = (
    st.builds(lambda key: {"var": key}, var_keys)
    | st.builds(lambda key, default: {"var": [key, default]}, var_keys, rule_scalars)
    | st.builds(lambda: {"var": []})
)


SPECS = [
    (op, least, least + 3 if most == UNBOUNDED else most)
    for op, (least, most) in STANDARD_ARITY.items()
    if op not in {"log", "reduce", "var"}
]
UNARY = [op for op, least, top in SPECS if least <= 1 <= top]


def _shorthand(op: str, arg: Any) -> Any:
    """{"!": x} for {"!": [x]}, unless x is itself a list (it would be read as the argument list)."""
    return {op: [arg] if isinstance(arg, list) else arg}


def _operations(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Every standard operator with an allowed number of children, plus the shapes that need care."""
    return st.one_of(
        st.sampled_from(SPECS).flatmap(
            lambda spec: st.lists(children, min_size=spec[1], max_size=spec[2]).map(lambda args: {spec[0]: args})
        ),
        st.builds(_shorthand, st.sampled_from(UNARY), children),
        st.builds(lambda key: {"var": [key]}, children),
        st.builds(lambda key, default: {"var": [key, default]}, children, children),
        st.builds(lambda items, each, first: {"reduce": [items, each, first]}, children, children, literal_values),
        st.lists(children, max_size=3),  # a list whose items are logic
    )


rules = st.recursive(rule_scalars | static_vars | object_literals, _operations, max_leaves=14)


def _outcome(evaluate: Any) -> tuple[str, Any]:
    try:
        return ("value", evaluate())
    except RecursionError:
        return ("raises", RecursionError)
    except Exception as error:
        return ("raises", type(error))


def _same(x: Any, y: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """Equal in value and in type, NaN equal to NaN, -0.0 apart from 0.0; safe on self-referencing results."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return repr(x) == repr(y)
    if isinstance(x, (list, dict)):
        seen = set() if seen is None else seen
        if (id(x), id(y)) in seen:
            return True
        seen.add((id(x), id(y)))
        if isinstance(x, list):
            return len(x) == len(y) and all(_same(a, b, seen) for a, b in zip(x, y, strict=True))
        return x.keys() == y.keys() and all(_same(x[key], y[key], seen) for key in x)
    return bool(x == y)


def _check(rule: Any, data: Any) -> None:
    validate_rule(rule)  # every generated rule is one the compiler accepts
    compiled = compile_rule(rule)
    expected = _outcome(lambda: jsonLogic(rule, data))
    got = _outcome(lambda: compiled(data))
    assert expected[0] == got[0], (json.dumps(rule), data, expected, got)
    if expected[0] == "raises":
        assert expected[1] is got[1], (json.dumps(rule), data, expected, got)
    else:
        assert _same(expected[1], got[1]), (json.dumps(rule), data, expected, got)
        assert compiled.is_true(data) is truthy(expected[1])


@SETTINGS
@given(rule=rules, data=data_values)
def test_compiled_rules_agree_with_panzi(rule: Any, data: Any) -> None:
    _check(rule, data)


@SETTINGS
@given(
    op=st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%", "===", "!=="]),
    path=st.sampled_from(PATHS),
    literal=rule_scalars | st.lists(rule_scalars, max_size=3),
    literal_first=st.booleans(),
    data=data_values,
)
def test_specialised_comparisons_agree_with_panzi(
    op: str, path: str, literal: Any, literal_first: bool, data: Any
) -> None:
    """A `var` against a literal takes the compiler's fast paths (numbers, strings, literal lists as sets)."""
    args = [literal, {"var": path}] if literal_first else [{"var": path}, literal]
    _check({op: args}, data)


@SETTINGS
@given(
    op=st.sampled_from(["<", "<="]),
    low=rule_scalars,
    high=rule_scalars,
    middle=st.sampled_from(PATHS),
    data=data_values,
)
def test_between_agrees_with_panzi(op: str, low: Any, high: Any, middle: str, data: Any) -> None:
    _check({op: [low, {"var": middle}, high]}, data)


@SETTINGS
@given(path=st.sampled_from(PATHS) | st.text(alphabet="ab01.", max_size=6), default=rule_scalars, data=data_values)
def test_var_paths_agree_with_panzi(path: str, default: Any, data: Any) -> None:
    _check({"var": path}, data)
    _check({"var": [path, default]}, data)
    _check({"missing": [path, "a"]}, data)
    _check({"missing_some": [1, [path, "b"]]}, data)


@SETTINGS
@given(rule=rules)
def test_literal_rules_fold_to_the_same_value(rule: Any) -> None:
    """Subtrees that read no data are folded at compile time; the folded value is panzi's on any data."""
    _check(rule, None)
    _check(rule, {"a": 1})
