"""Shared model-field settings: the precision of every amount and percent column.

Each is a `TypedDict` for `models.DecimalField(**MONEY, ...)`, so the type checker knows what the splat
passes and the field stays a plain `DecimalField` (its migrations deconstruct to the same thing).
"""

from typing import Final, TypedDict


class DecimalPrecision(TypedDict):
    max_digits: int
    decimal_places: int


# An amount in a currency's major unit (fits `core.money.MAX_AMOUNT` with room).
MONEY: Final[DecimalPrecision] = {"max_digits": 20, "decimal_places": 2}
# A percent such as a fee or a monthly interest rate: 0.00 to 999.99.
PERCENT: Final[DecimalPrecision] = {"max_digits": 5, "decimal_places": 2}
