"""Phone numbers are stored in E.164 (`+254712345678`); `phonenumbers` decides what is a real number."""

import re

import phonenumbers
from django.core.exceptions import ValidationError

# How a number may be written: "+", then digits, in groups parted by single spaces or dashes ("+254 712 345-678").
# `phonenumbers` alone also reads letters, dots, brackets, an extension and trailing junk ("+254712345678*").
WRITTEN = re.compile(r"\+[0-9]+(?:[ -][0-9]+)*")


def normalize_phone_number(value: str) -> str:
    """Return `value` in E.164, or raise ValidationError. A number must carry its country code (+CC…), and be
    written as digits, spaces and dashes only (`WRITTEN`)."""
    invalid = ValidationError(
        "Enter a phone number in international format, e.g. +254712345678.", code="invalid_phone_number"
    )
    if not WRITTEN.fullmatch(value):
        raise invalid
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise invalid from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("This phone number is not valid.", code="invalid_phone_number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def validate_e164(value: str) -> None:
    if normalize_phone_number(value) != value:
        raise ValidationError("Phone numbers are stored in E.164, e.g. +254712345678.", code="not_e164")
