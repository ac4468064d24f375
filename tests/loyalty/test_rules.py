"""loyalty.rules: each operator (checked against panzi-json-logic too), the errors a tenant sees when saving a bad
rule, the custom operators over a hand-built feature context, `required_features`, and the official JsonLogic
suite (tests/loyalty/data/jsonlogic_tests.json, see the README there). Pure Python: no database."""

import json
import logging
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from json_logic import jsonLogic
from json_logic.builtins import BUILTINS

from loyalty.rules import (
    MAX_DEPTH,
    MAX_NODES,
    OPERATORS,
    CompiledRule,
    FeatureRequest,
    Features,
    MissingFeatureError,
    RuleError,
    compile_rule,
    local_clock,
    required_features,
    validate_rule,
)
from loyalty.rules.operators import STANDARD_ARITY

OFFICIAL = Path(__file__).parent / "data" / "jsonlogic_tests.json"
# Official cases the compiler refuses at save time, on purpose:
REFUSED_BY_DESIGN = {
    # `if` takes at least one argument: an empty `if` is always null, a tenant's slip rather than a rule.
    '{"if": []}': "arity",
    # panzi uses reduce's initial value unevaluated (this case gives NaN there), JsonLogic evaluates it:
    # a rule whose meaning depends on the engine is refused; a literal initial value means the same in both.
    '{"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, {"var": "start_with"}]}': (
        "not_literal"
    ),
}


def _official_cases() -> list[Any]:
    return [case for case in json.loads(OFFICIAL.read_text()) if not isinstance(case, str)]


def _json_equal(got: Any, expected: Any) -> bool:
    """JSON has one number type (2 == 2.0) but true is not 1."""
    if isinstance(got, bool) or isinstance(expected, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(_json_equal(a, b) for a, b in zip(got, expected, strict=True))
    return bool(got == expected)


# --- the official suite ----------------------------------------------------------------------------------------


def test_official_suite_has_all_its_cases() -> None:
    assert len(_official_cases()) == 278


@pytest.mark.parametrize(("rule", "data", "expected"), _official_cases(), ids=lambda value: None)
def test_official_case(rule: Any, data: Any, expected: Any) -> None:
    refused = REFUSED_BY_DESIGN.get(json.dumps(rule))
    if refused:
        with pytest.raises(RuleError) as caught:
            compile_rule(rule)
        assert caught.value.code == refused
        return
    assert _json_equal(compile_rule(rule)(data), expected)


# --- each operator, with panzi's answer alongside ----------------------------------------------------------------

NAN = object()  # marks an expected NaN

OPERATOR_CASES: list[tuple[Any, Any, Any]] = [
    # var: dotted paths, list indexes, defaults, length, the whole data
    ({"var": "event.data.amount"}, {"event": {"data": {"amount": 120}}}, 120),
    ({"var": ["event.data.tip", 0]}, {"event": {"data": {"amount": 120}}}, 0),
    ({"var": "items.1.sku"}, {"items": [{"sku": "a"}, {"sku": "b"}]}, "b"),
    ({"var": "items.01"}, {"items": ["a", "b"]}, None),  # only canonical indexes
    ({"var": "items.length"}, {"items": ["a", "b", "c"]}, 3),
    ({"var": "name.0"}, {"name": "Wanjiru"}, "W"),
    ({"var": 1}, ["x", "y"], "y"),
    ({"var": 1.5}, ["x", "y"], None),
    ({"var": ""}, {"a": 1}, {"a": 1}),
    ({"var": ["missing", "fallback"]}, {}, "fallback"),
    ({"var": ["a", "fallback"]}, {"a": None}, "fallback"),  # null counts as absent
    ({"var": {"cat": ["event.", "type"]}}, {"event": {"type": "purchase"}}, "purchase"),
    # missing, missing_some
    ({"missing": ["a", "b.c", "d"]}, {"a": 1, "b": {"c": ""}, "d": 0}, ["b.c"]),
    ({"missing_some": [1, ["a", "b"]]}, {"b": 2}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"b": 2}, ["a", "c"]),
    # if / ?:
    ({"if": [{"var": "x"}, "yes", "no"]}, {"x": 0}, "no"),
    ({"if": [False, 1, {"var": "y"}, 2, 3]}, {"y": "ok"}, 2),
    ({"if": [False, 1, False, 2]}, None, None),
    ({"if": ["only"]}, None, "only"),
    ({"?:": [[], "full", "empty"]}, None, "empty"),
    # loose and strict equality, panzi's quirks included
    ({"==": [1, "1"]}, None, True),
    ({"==": [0, ""]}, None, False),  # "" is NaN as a number in panzi
    ({"==": [0, None]}, None, True),  # panzi: null is 0 against a number (JavaScript says false)
    ({"==": [None, None]}, None, True),
    ({"==": ["1,2", [1, 2]]}, None, True),
    ({"==": [{"var": "a"}, {"var": "a"}]}, {"a": [1]}, True),  # the same list
    ({"==": [[1], [1]]}, None, False),  # two lists
    ({"!=": [True, "1"]}, None, False),
    ({"===": [1, 1.0]}, None, True),
    ({"===": [1, "1"]}, None, False),
    ({"===": [1, True]}, None, True),  # panzi compares with Python's ==
    ({"!==": ["a", "a"]}, None, False),
    # order, with coercion and "between"
    ({"<": ["10", 9]}, None, False),
    ({"<": ["apple", "banana"]}, None, True),
    ({">": [None, -1]}, None, True),
    ({">=": [{"var": "amount"}, 500]}, {"amount": "500"}, True),
    ({"<=": [1, {"var": "n"}, 3]}, {"n": 3}, True),
    ({"<": [1, {"var": "n"}, 3]}, {"n": 3}, False),
    ({"<": [1, 2, {"var": "absent"}]}, {}, True),  # a null third argument means two arguments
    # logic
    ({"!": [[]]}, None, True),
    ({"!": {"var": "x"}}, {"x": "0"}, False),
    ({"!!": ["0"]}, None, True),
    ({"!!": [{}]}, None, True),
    ({"and": [1, "", 3]}, None, ""),
    ({"and": [1, 2, 3]}, None, 3),
    ({"or": [0, [], "x"]}, None, "x"),
    ({"or": [0, None]}, None, None),
    # arithmetic
    ({"+": ["1", 1]}, None, 2.0),
    ({"+": [True, 1]}, None, 2),
    ({"+": "3.14"}, None, 3.14),
    ({"+": ["abc", 1]}, None, NAN),
    ({"*": [{"var": "amount"}, 0.1]}, {"amount": 250}, 25.0),
    ({"-": [5]}, None, -5),
    ({"-": [5, None]}, None, -5),  # an evaluated null second argument means negation
    ({"-": ["7", "2"]}, None, 5.0),
    ({"/": [7, 2]}, None, 3.5),
    ({"%": [-1, 3]}, None, 2),  # Python's modulo (JavaScript gives -1)
    ({"min": [3, "2", 10]}, None, 2.0),
    ({"max": [3, "12", None]}, None, 12.0),
    # strings
    ({"cat": ["Hi ", {"var": "name"}, "!"]}, {"name": "Amina"}, "Hi Amina!"),
    ({"cat": [1.0, None, True, [1, [2]]]}, None, "1nullTrue1,2"),  # panzi: true is "True"
    ({"substr": ["jsonlogic", -5, -2]}, None, "log"),
    ({"substr": ["jsonlogic", 2]}, None, "onlogic"),
    ({"in": ["Spring", "Springfield"]}, None, True),
    ({"in": [1, [True, 2]]}, None, True),
    ({"in": [{"var": "tier"}, ["gold", "platinum"]]}, {"tier": "gold"}, True),
    ({"in": ["a", None]}, None, False),
    # arrays
    ({"merge": [1, [2, [3]], []]}, None, [1, 2, [3]]),
    ({"map": [{"var": "items"}, {"*": [{"var": "qty"}, {"var": "price"}]}]}, {"items": [{"qty": 2, "price": 5}]}, [10]),
    ({"map": [{"var": "absent"}, 1]}, {}, []),
    ({"filter": [[1, 2, 3, 4], {"%": [{"var": ""}, 2]}]}, None, [1, 3]),
    ({"reduce": [[1, 2, 3], {"+": [{"var": "accumulator"}, {"var": "current"}]}, 10]}, None, 16),
    ({"reduce": [{"var": "absent"}, {"var": "current"}, "start"]}, {}, "start"),
    ({"all": [[1, 2], {">": [{"var": ""}, 0]}]}, None, True),
    ({"all": [[], True]}, None, False),
    ({"some": [[0, 0, 1], {"var": ""}]}, None, True),
    ({"none": [[0, ""], {"var": ""}]}, None, True),
    ({"none": ["not a list", True]}, None, True),
    # literals
    ([1, {"var": "x"}], {"x": 2}, [1, 2]),
    ({"a": 1, "b": {"var": "x"}}, None, {"a": 1, "b": {"var": "x"}}),  # an object of 2+ keys is a value
]


@pytest.mark.parametrize(("rule", "data", "expected"), OPERATOR_CASES, ids=[json.dumps(c[0]) for c in OPERATOR_CASES])
def test_operator(rule: Any, data: Any, expected: Any) -> None:
    got = compile_rule(rule)(data)
    reference = jsonLogic(rule, data)
    if expected is NAN:
        assert math.isnan(got) and math.isnan(reference)
        return
    assert got == expected and type(got) is type(expected)
    assert reference == expected and type(reference) is type(expected)


def test_operator_set_is_panzis() -> None:
    """Exactly the operations panzi knows (its builtins and the forms its `apply` handles itself), plus ours."""
    special_forms = {"if", "?:", "and", "or", "filter", "reduce", "map", "all", "some", "none"}
    assert set(STANDARD_ARITY) == set(BUILTINS) | special_forms
    assert OPERATORS - set(STANDARD_ARITY) == {
        "count_events",
        "sum_events",
        "day_of_week",
        "hour_of_day",
        "first_event",
    }
    for operation in ("now", "days", "method", "regex", "some_other"):
        with pytest.raises(RuleError, match=f"unknown operator '{operation}'"):
            validate_rule({operation: []})


def test_arithmetic_errors_raise_at_evaluation_as_in_panzi() -> None:
    rule = {"/": [{"var": "a"}, {"var": "b"}]}
    with pytest.raises(ZeroDivisionError):
        compile_rule(rule)({"a": 1, "b": 0})
    with pytest.raises(ZeroDivisionError):
        jsonLogic(rule, {"a": 1, "b": 0})
    literal = compile_rule({"%": [1, 0]})  # always raises, yet saved: it may sit in a branch never taken
    with pytest.raises(ZeroDivisionError):
        literal(None)


def test_a_literal_condition_drops_the_branch_never_taken() -> None:
    assert compile_rule({"if": [True, "a", {"/": [1, 0]}]})(None) == "a"
    assert compile_rule({"if": [False, {"/": [1, 0]}, "b"]})(None) == "b"
    assert compile_rule({"if": [0, 1, {"var": "x"}, 2, 3]})({"x": 1}) == 2


def test_each_evaluation_returns_new_lists() -> None:
    """panzi builds every list anew; a caller mutating one result must not change the next."""
    rule = compile_rule({"merge": [[1], [2]]})
    first = rule(None)
    first.append(99)
    assert rule(None) == [1, 2]
    literal = compile_rule([1, 2])
    assert literal(None) is not literal(None)


def test_the_compiled_rule_keeps_its_own_copy() -> None:
    rule: dict[str, Any] = {"in": [{"var": "tier"}, ["gold"]]}
    compiled = compile_rule(rule)
    rule["in"][1].append("silver")
    assert compiled({"tier": "silver"}) is False
    assert compiled.rule == {"in": [{"var": "tier"}, ["gold"]]}


def test_is_true_uses_jsonlogic_truthiness() -> None:
    rule = compile_rule({"var": "x"})
    assert [rule.is_true({"x": value}) for value in ([], [0], "", "0", 0, 0.0, math.nan, {}, None)] == [
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert isinstance(rule, CompiledRule)
    assert "var" in repr(rule)


def test_log_goes_to_the_logger_not_stdout(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deliberate difference: panzi prints to stdout, which on a worker is nobody's to read."""
    with caplog.at_level(logging.DEBUG, logger="loyalty.rules"):
        assert compile_rule({"log": {"var": "a"}})({"a": [1]}) == [1]
    assert "rule log: [1]" in caplog.text
    assert capsys.readouterr().out == ""


# --- what a tenant sees when a rule is refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "code", "message", "path"),
    [
        (
            {"cout_events": ["purchase", 7]},
            "unknown_operator",
            "unknown operator 'cout_events' (did you mean 'count_events'?)",
            "cout_events",
        ),
        (
            {"and": [True, {"frobnicate": [1]}]},
            "unknown_operator",
            "unknown operator 'frobnicate'",
            "and[1].frobnicate",
        ),
        ({"and": [True, {">=": [1]}]}, "arity", "operator '>=' takes 2 arguments, got 1", "and[1].>="),
        ({"!": [1, 2]}, "arity", "operator '!' takes 1 argument, got 2", "!"),
        ({"<": [1, 2, 3, 4]}, "arity", "operator '<' takes 2 or 3 arguments, got 4", "<"),
        ({">": [1, 2, 3]}, "arity", "operator '>' takes 2 arguments, got 3", ">"),
        ({"var": ["a", 1, 2]}, "arity", "operator 'var' takes 0 to 2 arguments, got 3", "var"),
        ({"if": []}, "arity", "operator 'if' takes at least 1 argument, got 0", "if"),
        ({"?:": [True, 1]}, "arity", "operator '?:' takes 3 arguments, got 2", "?:"),
        ({"substr": ["abc"]}, "arity", "operator 'substr' takes 2 or 3 arguments, got 1", "substr"),
        ({"reduce": [[1], {"var": "current"}]}, "arity", "operator 'reduce' takes 3 arguments, got 2", "reduce"),
        ({"map": [[1]]}, "arity", "operator 'map' takes 2 arguments, got 1", "map"),
        ({"and": []}, "arity", "operator 'and' takes at least 1 argument, got 0", "and"),
        ({"day_of_week": [1]}, "arity", "operator 'day_of_week' takes 0 arguments, got 1", "day_of_week"),
        ({"==": [1, math.nan]}, "not_json", "nan is not a JSON number", "==[1]"),
        ({"==": [1, (1, 2)]}, "not_json", "a tuple is not a JSON value", "==[1]"),
        ({"in": [1, {1: "a", 2: "b"}]}, "not_json", "object keys must be strings, not int", "in[1]"),
        (
            {"==": [{"var": "at"}, datetime(2025, 1, 1, tzinfo=UTC)]},
            "not_json",
            "a datetime is not a JSON value",
            "==[1]",
        ),
        (
            {"reduce": [[1], {"var": "current"}, {"var": "start"}]},
            "not_literal",
            "reduce's initial value must be a literal, not the operator 'var'",
            "reduce[2]",
        ),
        ({"reduce": [[1], {"var": "current"}, [1, {"+": [1]}]]}, "not_literal", "must be a literal", "reduce[2][1]"),
        ({"var": "features.event_counts"}, "reserved", "var cannot read 'features'", "var[0]"),
    ],
)
def test_refused_rules_name_the_problem(rule: Any, code: str, message: str, path: str) -> None:
    with pytest.raises(RuleError) as caught:
        validate_rule(rule)
    error = caught.value
    assert error.code == code
    assert message in error.message
    assert error.path == path
    assert isinstance(error, ValueError)
    assert str(error) == f"{error.message} (at {path})"
    with pytest.raises(RuleError):
        compile_rule(rule)


def test_a_literal_initial_value_and_objects_are_accepted() -> None:
    validate_rule({"reduce": [[1], {"var": "current"}, {"a": {"var": "not logic in an object"}, "b": 2}]})
    validate_rule({"reduce": [[1], {"var": "current"}, [1, [2, {}]]]})
    validate_rule({"map": [{"var": "items"}, {"var": "features"}]})  # an item's own field, not ours
    assert validate_rule({"==": [1, 1]}) is None


def _nest(depth: int) -> Any:
    rule: Any = True
    for _ in range(depth - 1):
        rule = {"!": [rule]}
    return rule


def test_depth_and_size_limits() -> None:
    validate_rule(_nest(MAX_DEPTH))
    with pytest.raises(RuleError) as deep:
        validate_rule(_nest(MAX_DEPTH + 1))
    assert deep.value.code == "too_deep"
    assert f"deeper than {MAX_DEPTH} levels" in deep.value.message
    validate_rule({"+": [1] * (MAX_NODES - 1)})
    with pytest.raises(RuleError) as large:
        validate_rule({"+": [1] * MAX_NODES})
    assert large.value.code == "too_large"
    assert f"more than {MAX_NODES} nodes" in large.value.message


def test_a_self_referencing_rule_is_too_deep_not_a_crash() -> None:
    rule: dict[str, Any] = {"!": []}
    rule["!"].append(rule)
    with pytest.raises(RuleError, match="deeper than"):
        validate_rule(rule)


# --- custom operators ------------------------------------------------------------------------------------------

FEATURES = Features(
    event_counts={("purchase", 30): 4, ("visit", 7): 0},
    event_sums={("purchase", "amount", 30): 1250.5},
    first_event={"referral": True, "purchase": False},
    first_event_of_this_type=True,
    day_of_week=6,
    hour_of_day=18,
)
DATA = {"event": {"type": "purchase", "data": {"amount": 300}}, "customer": {"status": "active"}, "features": FEATURES}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"count_events": ["purchase", 30]}, 4),
        ({"count_events": ["visit", 7]}, 0),
        ({"sum_events": ["purchase", "amount", 30]}, 1250.5),
        ({"day_of_week": []}, 6),
        ({"hour_of_day": []}, 18),
        ({"first_event": ["referral"]}, True),
        ({"first_event": "purchase"}, False),
        ({"first_event": []}, True),
        ({"in": [{"day_of_week": []}, [6, 7]]}, True),
        (
            {
                "and": [
                    {"==": [{"var": "event.type"}, "purchase"]},
                    {">=": [{"count_events": ["purchase", 30]}, 3]},
                    {"<": [{"sum_events": ["purchase", "amount", 30]}, 2000]},
                    {"<=": [17, {"hour_of_day": []}, 21]},
                ]
            },
            True,
        ),
        ({"if": [{"first_event": []}, {"*": [{"var": "event.data.amount"}, 2]}, 0]}, 600),
    ],
)
def test_custom_operators_read_the_features(rule: Any, expected: Any) -> None:
    assert compile_rule(rule)(DATA) == expected


def test_required_features_names_exactly_the_windows() -> None:
    rules = [
        compile_rule({">=": [{"count_events": ["purchase", 30]}, 3]}),
        compile_rule({"or": [{"count_events": ["purchase", 30]}, {"count_events": ["visit", 7]}]}),
        compile_rule({">": [{"sum_events": ["purchase", "amount", 90]}, 100]}),
        compile_rule({"and": [{"first_event": ["referral"]}, {"in": [{"day_of_week": []}, [6, 7]]}]}),
        compile_rule({"==": [{"var": "event.type"}, "visit"]}),
    ]
    request = required_features(rules)
    assert request == FeatureRequest(
        event_counts=frozenset({("purchase", 30), ("visit", 7)}),
        event_sums=frozenset({("purchase", "amount", 90)}),
        first_event_types=frozenset({"referral"}),
        first_event_of_this_type=False,
        day_of_week=True,
        hour_of_day=False,
    )
    assert request.window_event_types == {"purchase", "visit"}
    assert request.lookback_days == 90
    assert rules[4].features.is_empty
    assert required_features([]).lookback_days == 0
    assert required_features([compile_rule({"first_event": []}), compile_rule({"hour_of_day": []})]) == FeatureRequest(
        first_event_of_this_type=True, hour_of_day=True
    )


def test_missing_from_lists_what_the_caller_forgot() -> None:
    request = required_features([compile_rule({"and": [{"count_events": ["visit", 30]}, {"hour_of_day": []}]})])
    assert request.missing_from(FEATURES) == ["count_events('visit', 30)"]
    assert request.missing_from(Features(event_counts={("visit", 30): 1}, hour_of_day=9)) == []


def test_a_feature_the_caller_did_not_compute_fails_loudly() -> None:
    with pytest.raises(MissingFeatureError, match=r"count_events\('purchase', 365\)"):
        compile_rule({"count_events": ["purchase", 365]})(DATA)
    with pytest.raises(MissingFeatureError, match="day_of_week"):
        compile_rule({"day_of_week": []})({**DATA, "features": Features()})
    with pytest.raises(MissingFeatureError, match="first_event"):
        compile_rule({"first_event": []})({"event": {"type": "purchase"}})
    with pytest.raises(MissingFeatureError):
        compile_rule({"sum_events": ["purchase", "amount", 30]})(None)


@pytest.mark.parametrize(
    ("rule", "code", "message", "path"),
    [
        (
            {"count_events": [{"var": "event.type"}, 30]},
            "not_literal",
            "count_events's event_type must be a literal, not the operator 'var'",
            "count_events[0]",
        ),
        (
            {"sum_events": ["purchase", "amount", {"+": [1, 29]}]},
            "not_literal",
            "sum_events's days must be a literal, not the operator '+'",
            "sum_events[2]",
        ),
        (
            {"count_events": ["purchase", 0]},
            "bad_argument",
            "count_events's days must be from 1 to 366, got 0",
            "count_events[1]",
        ),
        ({"count_events": ["purchase", 367]}, "bad_argument", "must be from 1 to 366, got 367", "count_events[1]"),
        (
            {"count_events": ["purchase", 30.0]},
            "bad_argument",
            "days must be a whole number, not a number",
            "count_events[1]",
        ),
        (
            {"count_events": ["purchase", True]},
            "bad_argument",
            "days must be a whole number, not a boolean",
            "count_events[1]",
        ),
        (
            {"count_events": ["", 30]},
            "bad_argument",
            "event_type must be a non-empty string, not an empty string",
            "count_events[0]",
        ),
        (
            {"first_event": [["purchase"]]},
            "bad_argument",
            "first_event's event_type must be a non-empty string, not a list",
            "first_event[0]",
        ),
        (
            {"sum_events": ["purchase", None, 30]},
            "bad_argument",
            "sum_events's field must be a non-empty string, not null",
            "sum_events[1]",
        ),
        (
            {"some": [{"var": "event.data.items"}, {">": [{"count_events": ["purchase", 7]}, 1]}]},
            "wrong_scope",
            "count_events cannot be used inside the logic of map, filter, reduce, all, some or none",
            "some[1].>[0].count_events",
        ),
    ],
)
def test_custom_operator_arguments_are_checked(rule: Any, code: str, message: str, path: str) -> None:
    with pytest.raises(RuleError) as caught:
        validate_rule(rule)
    assert caught.value.code == code
    assert message in caught.value.message
    assert caught.value.path == path


def test_custom_operators_may_supply_the_list_a_scope_iterates() -> None:
    """Only the per-item logic is out of scope; the list itself is computed at the top."""
    rule = compile_rule({"map": [{"merge": [{"count_events": ["purchase", 30]}, 1]}, {"*": [{"var": ""}, 10]}]})
    assert rule(DATA) == [40, 10]


def test_local_clock_is_in_the_tenants_zone() -> None:
    # Sunday 22:30 UTC is Monday 01:30 in Nairobi (UTC+3)
    assert local_clock(datetime(2025, 6, 1, 22, 30, tzinfo=UTC), ZoneInfo("Africa/Nairobi")) == (1, 1)
    assert local_clock(datetime(2025, 6, 1, 22, 30, tzinfo=UTC), ZoneInfo("America/Los_Angeles")) == (7, 15)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_clock(datetime(2025, 6, 1, 22, 30), ZoneInfo("Africa/Nairobi"))  # noqa: DTZ001 (the naive case)
