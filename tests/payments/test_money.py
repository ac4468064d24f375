from decimal import Decimal

import pytest

from core.money import AmountError, allocate, from_minor_units, parse_amount, round_money, to_minor_units


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [("5000.00", "KES", "5000.00"), ("5000", "NGN", "5000.00"), ("1500", "UGX", "1500"), (250, "RWF", "250")],
)
def test_valid_amounts(value, currency, expected):
    assert parse_amount(value, currency) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "currency", "says"),
    [
        ("0", "KES", "greater than zero"),
        ("-5.00", "KES", "greater than zero"),
        ("10.5", "UGX", "whole units"),
        ("1.005", "KES", "2 decimal places"),
        ("1000000000.01", "KES", "may not exceed"),
        ("12abc", "KES", "plain number"),
        ("1e5", "KES", "plain number"),
        ("NaN", "KES", "plain number"),
        ("", "KES", "plain number"),
        (10.5, "KES", "strings"),
        (True, "KES", "plain number"),
        ("10.00", "XYZ", "Unsupported currency"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(value, currency, says):
    with pytest.raises(AmountError, match=says):
        parse_amount(value, currency)


def test_rounding_is_half_even_at_the_minor_unit():
    assert round_money(Decimal("2.345"), "KES") == Decimal("2.34")
    assert round_money(Decimal("2.355"), "KES") == Decimal("2.36")
    assert round_money(Decimal("2.5"), "UGX") == Decimal("2")


@pytest.mark.parametrize(
    ("total", "weights", "currency"),
    [("100.00", [1, 1, 1], "KES"), ("10", [1, 1, 1], "UGX"), ("0.05", [3, 3, 3, 1], "NGN"), ("999.99", [7, 2], "ZAR")],
)
def test_allocation_always_adds_up(total, weights, currency):
    parts = allocate(Decimal(total), weights, currency)
    assert sum(parts) == Decimal(total)
    assert len(parts) == len(weights)


def test_allocation_puts_the_residue_on_the_last_part():
    assert allocate(Decimal("100.00"), [1, 1, 1], "KES") == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_minor_units_round_trip():
    assert to_minor_units(Decimal("50.25"), "NGN") == 5025
    assert to_minor_units(Decimal("500"), "UGX") == 500
    assert from_minor_units(5025, "NGN") == Decimal("50.25")
    with pytest.raises(AmountError):
        to_minor_units(Decimal("0.005"), "KES")
