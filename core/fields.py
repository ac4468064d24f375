"""API fields every app's serializers share, and the pieces of request schema they are described with."""

from collections.abc import Callable, Collection, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.utils import extend_schema_field
from phonenumbers import PhoneMetadata
from rest_framework import serializers

from core.money import CURRENCY_DIGITS, MAX_AMOUNT
from core.phone_numbers import normalize_phone_number
from core.time_zones import known_time_zones, validate_time_zone

# Any date the API takes lies in this window, so the calendar arithmetic behind it (a day after, 90 days before, a
# schedule's due dates) never leaves Python's date range (0001-01-01 to 9999-12-31).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
SANE_DATE = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]

MAX_ROW_ID = 2**63 - 1  # a bigint column's largest id: anything above it is no row, and SQLite cannot even compare it


def row_id_in_range(value: int) -> int:
    """An id from an `<int:...>` URL, or 0 (no row: a 404) when it is beyond any bigint column."""
    return value if value <= MAX_ROW_ID else 0


@extend_schema_field({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "example": "1500.00"})
class AmountField(serializers.Field[object, object, str, Any]):
    """An amount as a string ("5000.00"); checked against its currency by the serializer that holds it.

    `input_pattern` is what `parse_amount` takes, for the OpenAPI schema of requests: more than zero (or zero
    where allowed), at most 1,000,000,000, two decimals at most (a currency without minor units takes whole
    numbers: the serializer checks that against the currency, and says so in its `input_rules`)."""

    default_error_messages = {
        "float": 'Send amounts as strings, e.g. "5000.00", never as floating-point numbers.',
        "not_text": 'Send amounts as strings, e.g. "5000.00".',
    }
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
        if not isinstance(data, str):  # the schema says string: 5000 or true is not an amount
            self.fail("not_text")
        return data

    def to_representation(self, value: object) -> str:
        return str(value)


class TimeZoneField(serializers.CharField):
    """An IANA time zone; `input_enum` lists them for the OpenAPI schema of requests."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=40, validators=[validate_time_zone], **kwargs)
        self.input_enum = known_time_zones(max_length=40)


def e164_phone(value: str) -> str:
    try:
        return normalize_phone_number(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"phone_number": exc.messages}) from exc


def require_kenyan_phone(phone_number: str) -> None:
    if not phone_number.startswith("+254"):
        raise serializers.ValidationError({"phone_number": ["M-Pesa works with Kenyan numbers (+254…)."]})


# --- text: strings only ---------------------------------------------------------------------------------------

_drf_text_to_internal_value = serializers.CharField.to_internal_value


def _text_to_internal_value(self: serializers.CharField, data: Any) -> str:
    if not isinstance(data, str):
        self.fail("invalid")  # "Not a valid string."
    if self.max_length is not None and len(data) > self.max_length:
        self.fail("max_length", max_length=self.max_length)
    return _drf_text_to_internal_value(self, data)


def accept_only_strings_as_text() -> None:
    """Every text field of the API (DRF's CharField and what builds on it: EmailField, RegexField, URLField, a
    ModelSerializer's fields for char and text columns) takes a JSON string and nothing else, as the OpenAPI
    schema says (`type: string`), and no longer one than its `max_length` (`maxLength`). By itself DRF turns a
    number into text (`{"name": 0}` was saved as "0"), and counts the length after trimming the whitespace around
    it (2,000 characters and a thousand spaces passed a 2,000-character limit).

    Run once at startup (`core.apps.CoreConfig.ready`), for every serializer at once rather than field by field.
    Form and multipart bodies and query strings carry only strings, so they are unaffected."""
    setattr(serializers.CharField, "to_internal_value", _text_to_internal_value)  # noqa: B010 (a deliberate patch)


def _boolean_to_internal_value(self: serializers.BooleanField, data: Any) -> bool:
    if not isinstance(data, bool):
        self.fail("invalid", input=data)  # "Must be a valid boolean."
    return data


def accept_only_booleans_as_booleans() -> None:
    """Every boolean field of the API takes JSON `true` or `false` and nothing else, as the OpenAPI schema says
    (`type: boolean`). By itself DRF also reads 0, 1, "yes", "off" and more as booleans. Run once at startup with
    `accept_only_strings_as_text`; the API's bodies are JSON (no form posts a boolean)."""
    setattr(serializers.BooleanField, "to_internal_value", _boolean_to_internal_value)  # noqa: B010


# --- JSON values a client sends as data (an event's data, a rule) -----------------------------------------------


def json_without_nul(depth: int) -> dict[str, Any]:
    """The schema of any JSON value whose strings, `depth` levels of objects and arrays down, hold no NUL character
    (no PostgreSQL text or jsonb value can). Of the keys OpenAPI 3.0 cannot say it (no `propertyNames`)."""
    schema: dict[str, Any] = {"nullable": True, "pattern": r"^[^\x00]*$"}
    if depth:
        schema["items"] = schema["additionalProperties"] = json_without_nul(depth - 1)
    return schema


def holds_nul(value: Any) -> bool:
    """Whether a JSON value holds a NUL character anywhere, in a key or a string."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def refuse_nul(value: Any) -> None:
    """A field validator: a JSON value with a NUL character in it is refused (400), not a database error (500)."""
    if holds_nul(value):
        raise serializers.ValidationError("No text here may hold a NUL character (\\u0000).")


# --- pieces of request schema ---------------------------------------------------------------------------------


def _digit_range(low: int, high: int) -> str:
    return str(low) if low == high else f"[{low}-{high}]"


def _whole_numbers_below(limit: int) -> list[str]:
    """Regex alternatives for the whole numbers 1 to `limit` - 1, written without leading zeros."""
    text, alternatives = str(limit), []
    if len(text) > 1:
        alternatives.append(f"[1-9][0-9]{{0,{len(text) - 2}}}" if len(text) > 2 else "[1-9]")
    for position, digit in enumerate(text):
        low = 1 if position == 0 else 0
        if int(digit) > low:
            rest = len(text) - position - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            alternatives.append(f"{text[:position]}{_digit_range(low, int(digit) - 1)}{tail}")
    return alternatives


def amount_pattern(*, places: int = 2, maximum: Decimal = MAX_AMOUNT, allow_zero: bool = False) -> str:
    """The amounts `parse_amount` takes at a currency with `places` decimals, up to `maximum`, as a regex: more than
    zero (or zero too), no leading zeros, at most `places` decimals. A fraction of `maximum` is not used (the
    pattern stops at its whole part)."""
    top = int(maximum)
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    zeros = rf"(\.0{{1,{places}}})?" if places else ""
    alternatives = [f"({alternative}){fraction}" for alternative in _whole_numbers_below(top)]
    alternatives.append(f"{top}{zeros}")
    if allow_zero:
        alternatives.append(f"0{fraction}")
    elif places:
        # 0.01, 0.1, 0.25: the first non-zero digit at each place
        small = "|".join(f"{'0' * lead}[1-9][0-9]{{0,{places - lead - 1}}}" for lead in range(places))
        alternatives.append(rf"0\.({small})")
    return "^(" + "|".join(alternatives) + ")$"


def mobile_number_pattern(*regions: str) -> str:
    """Mobile numbers of `regions` (ISO country codes) in E.164, as a regex, from `phonenumbers`' numbering plans:
    numbers `normalize_phone_number` takes."""
    plans = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region)
        mobile = metadata.mobile if metadata is not None else None
        if metadata is None or mobile is None or mobile.national_number_pattern is None:
            raise LookupError(f"phonenumbers has no mobile numbering plan for {region}.")
        national = mobile.national_number_pattern.replace("\\d", "[0-9]")
        plans.append(rf"\+{metadata.country_code}(?:{national})")
    return "^(?:" + "|".join(plans) + ")$"


def currency_branches(
    currencies: Iterable[str],
    *,
    amounts: Collection[str] = ("amount",),
    allow_zero: Collection[str] = (),
    maximum: Callable[[str], Decimal] = lambda currency: MAX_AMOUNT,
    places: int | None = None,
    currency_field: str = "currency",
    **properties: Any,
) -> list[dict[str, Any]]:
    """`anyOf` branches of a request schema that say what `parse_amount` takes at each currency: the `amounts`
    (those in `allow_zero` may be zero) at the currency's minor unit (UGX and RWF in whole units, or `places`
    decimals where fewer are taken) and up to its `maximum`. Currencies alike share a branch; every branch also
    holds `properties` (JSON schemas by name)."""
    alike: dict[tuple[int, Decimal], list[str]] = {}
    for currency in currencies:
        digits = CURRENCY_DIGITS[currency] if places is None else min(places, CURRENCY_DIGITS[currency])
        alike.setdefault((digits, maximum(currency)), []).append(currency)
    return [
        {
            "properties": {
                currency_field: {"enum": group},
                **{
                    name: {"pattern": amount_pattern(places=digits, maximum=top, allow_zero=name in allow_zero)}
                    for name in amounts
                },
                **properties,
            }
        }
        for (digits, top), group in alike.items()
    ]


# As input, the phone of an M-Pesa payment: a Kenyan mobile number (`require_kenyan_phone`).
KENYAN_PHONE = {"pattern": mobile_number_pattern("KE")}
