"""The USSD gateway's form, as Africa's Talking names its fields."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.phone_numbers import normalize_phone_number
from loyalty.serializers import PhoneField

# What a keypad can send as one dial's inputs so far: the gateway joins them with `*`.
TEXT_MAX_LENGTH = 500


class UssdStepInputSerializer(serializers.Serializer[Any]):
    """The gateway's form fields, named as it sends them."""

    sessionId = serializers.CharField(max_length=100, help_text="The gateway's id of the dial.")
    serviceCode = serializers.CharField(max_length=32, help_text='The code dialled, e.g. "*384*12#".')
    phoneNumber = PhoneField(help_text="The caller, in E.164.")
    networkCode = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text="The caller's mobile network (MCC and MNC)."
    )
    text = serializers.CharField(
        max_length=TEXT_MAX_LENGTH,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text='Every input of the dial so far, joined by "*" ("" on the first request).',
    )

    def validate_phoneNumber(self, value: str) -> str:
        try:
            return normalize_phone_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
