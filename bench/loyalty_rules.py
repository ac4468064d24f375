"""What evaluating a tenant's rules costs per event: 10 realistic loyalty rules compiled by `loyalty.rules` against
the same 10 interpreted by panzi-json-logic, the reference semantics.

Each rule is about 25 nodes (counted below): `var` paths into the event and the customer, comparisons, `in`,
`if` tiers, `some`/`reduce` over the basket, and the custom operators (`count_events`, `sum_events`,
`day_of_week`, `hour_of_day`, `first_event`) reading a precomputed `Features` in `data["features"]`. panzi gets the
custom operators as per-call operations (its `jsonLogic(rule, data, operations)`) reading the same object, so both
sides compute the same values; the script checks that they agree before timing. Figures are per event for all 10
rules; best of N runs, one process, no database. The issue's target: 10 compiled rules within 50 µs per event.

    .venv/bin/python bench/loyalty_rules.py [events per run] [runs]
"""

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from json_logic import jsonLogic
from json_logic.builtins import BUILTINS

from loyalty.rules import FEATURES_KEY, Features, compile_rule, required_features

TYPE = {"var": "event.type"}
AMOUNT = {"var": "event.data.amount"}
TIER = {"var": "customer.attributes.tier"}

RULES: list[Any] = [
    # 1. big purchase through a counted channel, not staff
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {">=": [AMOUNT, 500]},
            {"==": [{"var": "customer.status"}, "active"]},
            {"in": [{"var": "event.data.channel"}, ["pos", "app", "web"]]},
            {"!": {"in": ["staff", {"var": ["customer.attributes.tags", []]}]}},
        ]
    },
    # 2. weekend happy hour
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {"in": [{"day_of_week": []}, [6, 7]]},
            {"<=": [17, {"hour_of_day": []}, 20]},
            {">": [AMOUNT, 200]},
            {"!=": [{"var": "event.data.currency"}, "USD"]},
        ]
    },
    # 3. fifth purchase in 30 days, on a real basket
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {"==": [{"count_events": ["purchase", 30]}, 5]},
            {">": [{"var": "event.data.items.length"}, 0]},
            {"or": [{"==": [TIER, "gold"]}, {">=": [AMOUNT, 100]}]},
        ]
    },
    # 4. points rate by 30-day spend (a value, not a condition)
    {
        "if": [
            {">=": [{"sum_events": ["purchase", "amount", 30]}, 10000]},
            {"*": [AMOUNT, 0.05]},
            {">=": [{"sum_events": ["purchase", "amount", 30]}, 5000]},
            {"*": [AMOUNT, 0.03]},
            {"==": [TIER, "platinum"]},
            {"*": [AMOUNT, 0.02]},
            {"*": [AMOUNT, 0.01]},
        ]
    },
    # 5. welcome: first purchase, profile complete
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {"first_event": []},
            {"!": {"missing": ["customer.attributes.city", "customer.attributes.birthday_month"]}},
            {">=": [AMOUNT, {"var": ["customer.attributes.min_welcome_spend", 50]}]},
            {"!=": [{"var": "customer.status"}, "blocked"]},
            {"in": [{"var": "event.data.channel"}, ["app", "pos"]]},
        ]
    },
    # 6. birthday month treat for gold and platinum
    {
        "and": [
            {"in": [TIER, ["gold", "platinum"]]},
            {"==": [{"var": "customer.attributes.birthday_month"}, {"var": "event.data.month"}]},
            {"<": [{"count_events": ["birthday_treat", 366]}, 1]},
            {"==": [TYPE, "purchase"]},
        ]
    },
    # 7. coffee promo: two or more coffees in the basket
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {
                "some": [
                    {"var": "event.data.items"},
                    {"and": [{"==": [{"var": "category"}, "coffee"]}, {">=": [{"var": "qty"}, 2]}]},
                ]
            },
            {"!=": [{"var": "customer.status"}, "blocked"]},
        ]
    },
    # 8. basket total over 300 (250 for gold) computed from the lines
    {
        "and": [
            {"==": [TYPE, "purchase"]},
            {
                ">=": [
                    {
                        "reduce": [
                            {"var": "event.data.items"},
                            {"+": [{"var": "accumulator"}, {"*": [{"var": "current.qty"}, {"var": "current.price"}]}]},
                            0,
                        ]
                    },
                    {"if": [{"==": [TIER, "gold"]}, 250, 300]},
                ]
            },
        ]
    },
    # 9. win-back: a visit after 60 quiet days, at a Nairobi store
    {
        "and": [
            {"==": [TYPE, "visit"]},
            {"==": [{"count_events": ["visit", 60]}, 1]},
            {"==": [{"substr": [{"var": "event.data.store_id"}, 0, 7]}, "nairobi"]},
            {"!=": [{"var": "customer.status"}, "blocked"]},
        ]
    },
    # 10. referral completed: first one, yearly cap, good customers
    {
        "and": [
            {"==": [TYPE, "referral_completed"]},
            {"first_event": ["referral_completed"]},
            {"<": [{"count_events": ["referral_completed", 365]}, 10]},
            {"or": [{"==": [TIER, "gold"]}, {">": [{"sum_events": ["purchase", "amount", 90]}, 5000]}]},
        ]
    },
]


def nodes(rule: Any) -> int:
    """Operations and literals, as the validator counts them (an argument list is not a node)."""
    if isinstance(rule, list):
        return 1 + sum(nodes(item) for item in rule)
    if isinstance(rule, dict) and len(rule) == 1:
        (args,) = rule.values()
        return 1 + sum(nodes(arg) for arg in (args if isinstance(args, list) else [args]))
    return 1


def make_data(index: int) -> dict[str, Any]:
    """An event as ingest would hand it over; varied so no branch is always taken."""
    amount = [120, 480, 650, 1500, 90][index % 5]
    items = [
        {"sku": "latte", "category": "coffee", "qty": 1 + index % 3, "price": 150},
        {"sku": "muffin", "category": "bakery", "qty": 1, "price": 90},
    ]
    features = Features(
        event_counts={
            ("purchase", 30): 3 + index % 4,
            ("birthday_treat", 366): index % 2,
            ("visit", 60): 1,
            ("referral_completed", 365): 2,
        },
        event_sums={("purchase", "amount", 30): 2500.0 + 2000 * (index % 5), ("purchase", "amount", 90): 6100.0},
        first_event={"referral_completed": index % 2 == 0},
        first_event_of_this_type=index % 7 == 0,
        day_of_week=1 + index % 7,
        hour_of_day=(9 + 3 * index) % 24,
    )
    return {
        "event": {
            "type": ["purchase", "purchase", "visit", "purchase", "referral_completed"][index % 5],
            "data": {
                "amount": amount,
                "currency": "KES",
                "channel": ["pos", "app", "kiosk"][index % 3],
                "month": 6,
                "store_id": ["nairobi-cbd", "mombasa-1"][index % 2],
                "items": items,
            },
            "occurred_at": "2026-06-06T18:30:00+03:00",
        },
        "customer": {
            "status": "active",
            "attributes": {"tier": ["gold", "silver", "platinum"][index % 3], "city": "Nairobi", "birthday_month": 6},
        },
        FEATURES_KEY: features,
    }


def panzi_operations() -> dict[str, Any]:
    """The custom operators for panzi, per call: each reads the same `Features` the compiled rules read."""

    def feature(data: Any) -> Features:
        return data[FEATURES_KEY]

    return {
        **BUILTINS,
        "count_events": lambda data, kind, days: feature(data).event_counts[(kind, days)],
        "sum_events": lambda data, kind, field, days: feature(data).event_sums[(kind, field, days)],
        "day_of_week": lambda data: feature(data).day_of_week,
        "hour_of_day": lambda data: feature(data).hour_of_day,
        "first_event": lambda data, kind=None: (
            feature(data).first_event_of_this_type if kind is None else feature(data).first_event[kind]
        ),
    }


def per_event_us(evaluate: Callable[[dict[str, Any]], None], events: list[dict[str, Any]], runs: int) -> float:
    for data in events[:200]:  # warm up
        evaluate(data)
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for data in events:
            evaluate(data)
        best = min(best, (time.perf_counter() - started) / len(events) * 1e6)
    return best


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    events = [make_data(index) for index in range(count)]
    operations = panzi_operations()

    started = time.perf_counter()
    compiled = [compile_rule(rule) for rule in RULES]
    compile_ms = (time.perf_counter() - started) * 1e3
    request = required_features(compiled)
    for data in events[:500]:
        for rule, fast in zip(RULES, compiled, strict=True):
            assert fast(data) == jsonLogic(rule, data, operations), rule

    def run_compiled(data: dict[str, Any]) -> None:
        for rule in compiled:
            rule(data)

    def run_panzi(data: dict[str, Any]) -> None:
        for rule in RULES:
            jsonLogic(rule, data, operations)

    fast_us = per_event_us(run_compiled, events, runs)
    slow_us = per_event_us(run_panzi, events, runs)
    sizes = [nodes(rule) for rule in RULES]
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.machine()}"
    )
    print(f"{len(RULES)} rules of {min(sizes)}-{max(sizes)} nodes (mean {sum(sizes) / len(sizes):.1f}); ", end="")
    print(f"compiled in {compile_ms:.2f} ms; {count} events per run, best of {runs}")
    print(
        f"features per event: {len(request.event_counts)} counts, {len(request.event_sums)} sums, "
        f"{len(request.first_event_types)} first-event types, lookback {request.lookback_days} days"
    )
    print(f"compiled (loyalty.rules)    {fast_us:8.2f} µs per event for {len(RULES)} rules")
    print(f"interpreted (panzi 1.0.1)   {slow_us:8.2f} µs per event for {len(RULES)} rules")
    verdict = "within" if fast_us <= 50 else "OVER"
    print(f"ratio panzi/compiled: {slow_us / fast_us:.1f}x; target 50 µs per event: {verdict}")


if __name__ == "__main__":
    main()
