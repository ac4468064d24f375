"""Answer shapes of the saved-card and bank-list endpoints (`card_views.py`); the request body of a card deposit is
in `payments.serializers` (with every other request body)."""

from typing import Any

from rest_framework import serializers

from payments.bank_list import COUNTRIES
from payments.models import BANK_PROVIDERS, Charge
from payments.serializers import CardDepositInputSerializer

__all__ = ["AvailableBankSerializer", "BankListQuerySerializer", "CardDepositInputSerializer", "CardDepositSerializer"]


class CardDepositSerializer(serializers.ModelSerializer[Charge]):
    amount = serializers.CharField()

    class Meta:
        model = Charge
        fields = ["reference", "status", "amount", "currency", "provider", "failure_reason", "created_at"]


class BankListQuerySerializer(serializers.Serializer[Any]):
    country = serializers.ChoiceField(choices=list(COUNTRIES), help_text="ISO 3166 country code.")
    provider = serializers.ChoiceField(
        choices=BANK_PROVIDERS, required=False, default="paystack", help_text="Whose bank codes (default Paystack)."
    )


class AvailableBankSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="What `banks/` takes as `bank_code`.")
    name = serializers.CharField()


class BankListSerializer(serializers.Serializer[Any]):
    country = serializers.CharField()
    provider = serializers.CharField()
    banks = AvailableBankSerializer(many=True)
