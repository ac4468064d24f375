"""API fields every app's serializers share."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "example": "1500.00"})
class AmountField(serializers.Field):
    """An amount as a string ("5000.00"); checked against its currency by the serializer that holds it.

    `input_pattern` is what `parse_amount` takes, for the OpenAPI schema of requests: more than zero (or zero
    where allowed), at most 1,000,000,000, two decimals at most (a currency without minor units takes whole
    numbers: the serializer checks that against the currency)."""

    default_error_messages = {"float": 'Send amounts as strings, e.g. "5000.00", never as floating-point numbers.'}
    _AMOUNT = r"1000000000(\.00?)?|[1-9][0-9]{0,8}(\.[0-9]{1,2})?"
    POSITIVE_PATTERN = rf"^({_AMOUNT}|0\.(0[1-9]|[1-9][0-9]?))$"
    POSITIVE_OR_ZERO_PATTERN = rf"^({_AMOUNT}|0(\.[0-9]{{1,2}})?)$"

    def __init__(self, *, allow_zero: bool = False, **kwargs):
        self.allow_zero = allow_zero  # as input: whether "0" is an amount (parse_amount's allow_zero)
        self.input_pattern = self.POSITIVE_OR_ZERO_PATTERN if allow_zero else self.POSITIVE_PATTERN
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float")
        return data

    def to_representation(self, value):
        return str(value)
