"""API fields every app's serializers share."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.phone_numbers import normalize_phone_number

# Any date the API takes lies in this window, so the calendar arithmetic behind it (a day after, 90 days before, a
# schedule's due dates) never leaves Python's date range (0001-01-01 to 9999-12-31).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
SANE_DATE = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]

MAX_ROW_ID = 2**63 - 1  # a bigint column's largest id: anything above it is no row, and SQLite cannot even compare it


@extend_schema_field({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "example": "1500.00"})
class AmountField(serializers.Field[object, object, str, Any]):
    """An amount as a string ("5000.00"); checked against its currency by the serializer that holds it.

    `input_pattern` is what `parse_amount` takes, for the OpenAPI schema of requests: more than zero (or zero
    where allowed), at most 1,000,000,000, two decimals at most (a currency without minor units takes whole
    numbers: the serializer checks that against the currency)."""

    default_error_messages = {"float": 'Send amounts as strings, e.g. "5000.00", never as floating-point numbers.'}
    _AMOUNT = r"1000000000(\.00?)?|[1-9][0-9]{0,8}(\.[0-9]{1,2})?"
    POSITIVE_PATTERN = rf"^({_AMOUNT}|0\.(0[1-9]|[1-9][0-9]?))$"
    POSITIVE_OR_ZERO_PATTERN = rf"^({_AMOUNT}|0(\.[0-9]{{1,2}})?)$"

    def __init__(self, *, allow_zero: bool = False, **kwargs: Any) -> None:
        self.allow_zero = allow_zero  # as input: whether "0" is an amount (parse_amount's allow_zero)
        self.input_pattern = self.POSITIVE_OR_ZERO_PATTERN if allow_zero else self.POSITIVE_PATTERN
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> object:
        if isinstance(data, float):
            self.fail("float")
        return data

    def to_representation(self, value: object) -> str:
        return str(value)


def e164_phone(value: str) -> str:
    try:
        return normalize_phone_number(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"phone_number": exc.messages}) from exc


def require_kenyan_phone(phone_number: str) -> None:
    if not phone_number.startswith("+254"):
        raise serializers.ValidationError({"phone_number": ["M-Pesa works with Kenyan numbers (+254…)."]})
