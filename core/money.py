"""Amounts: Decimal at the currency's minor unit, one rounding rule, and splits that always add up.

Every amount that enters the system goes through `parse_amount`; every computed amount through `round_money`;
every split (fees, interest, a pot shared out, a schedule) through `allocate`.
"""

import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation

# ISO 4217 code → digits after the decimal point.
CURRENCY_DIGITS: dict[str, int] = {
    "KES": 2,
    "NGN": 2,
    "GHS": 2,
    "UGX": 0,
    "TZS": 2,
    "RWF": 0,
    "ZAR": 2,
    "USD": 2,
    "ZWG": 2,
}
CURRENCIES = tuple(CURRENCY_DIGITS)
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]

# Above this no single movement is accepted (fits DecimalField(max_digits=20, decimal_places=2) with room).
MAX_AMOUNT = Decimal("1000000000.00")
_PLAIN_NUMBER = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,10})?$")


class AmountError(ValueError):
    """An amount the system will not accept; the message says why, for the API to pass on."""


def currency_digits(currency: str) -> int:
    try:
        return CURRENCY_DIGITS[currency]
    except KeyError:
        raise AmountError(f"Unsupported currency {currency!r}; use one of {', '.join(CURRENCIES)}.") from None


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-currency_digits(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """The one rounding rule: banker's rounding (ROUND_HALF_EVEN) to the currency's minor unit."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def parse_amount(value: object, currency: str, *, allow_zero: bool = False) -> Decimal:
    """A positive amount, exactly at the currency's minor unit: "10.5" UGX or "1.005" KES are refused."""
    digits = currency_digits(currency)
    if isinstance(value, float):
        raise AmountError('Send amounts as strings, e.g. "5000.00", never as floating-point numbers.')
    text = str(value).strip()
    if isinstance(value, bool) or not _PLAIN_NUMBER.match(text):
        raise AmountError('Enter the amount as a plain number, e.g. "5000.00".')
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError('Enter the amount as a plain number, e.g. "5000.00".') from None
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountError("The amount must be greater than zero.")
    if amount != amount.quantize(minor_unit(currency), rounding=ROUND_DOWN):
        unit = "whole units" if digits == 0 else f"at most {digits} decimal places"
        raise AmountError(f"{currency} amounts take {unit}.")
    if amount > MAX_AMOUNT:
        raise AmountError(f"The amount may not exceed {MAX_AMOUNT:,.0f}.")
    return amount.quantize(minor_unit(currency))


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal major units → integer subunits (kobo, cents) for a provider; refuses a fractional subunit."""
    scaled = amount.scaleb(currency_digits(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(f"{amount} {currency} is not a whole number of minor units.")
    return int(scaled)


def from_minor_units(value: int | str, currency: str) -> Decimal:
    return Decimal(int(value)).scaleb(-currency_digits(currency)).quantize(minor_unit(currency))


def allocate(total: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights` so the parts add up to `total` exactly.

    Largest remainder: each part is floored to the minor unit, then the leftover units go one each to the parts
    with the largest remainders (ties to the later part, so the residue lands on the last one).
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    unit = minor_unit(currency)
    total_units = int((total / unit).to_integral_value(rounding=ROUND_HALF_EVEN))
    if Decimal(total_units) * unit != total:
        raise AmountError(f"{total} {currency} is not a whole number of minor units.")
    weight_sum = sum(weights)
    exact = [Decimal(total_units) * w / weight_sum for w in weights]
    floors = [int(x.to_integral_value(rounding=ROUND_DOWN)) for x in exact]
    leftover = total_units - sum(floors)
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - floors[i], i), reverse=True)
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return [(Decimal(units) * unit).quantize(unit) for units in floors]
