from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.models import LedgerEntry, TransactionKind, Transfer
from payments.money import CURRENCIES, AmountError, parse_amount


@extend_schema_field({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "example": "1500.00"})
class AmountField(serializers.Field):
    """An amount as a string ("5000.00"); checked against its currency by the serializer that holds it."""

    default_error_messages = {"float": 'Send amounts as strings, e.g. "5000.00", never as floating-point numbers.'}

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float")
        return data

    def to_representation(self, value):
        return str(value)


class AmountInputMixin:
    """Validates `amount` at `currency`'s minor unit (KES 2 decimals, UGX none, ...) into a Decimal."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        try:
            attrs["amount"] = parse_amount(attrs["amount"], attrs["currency"])
        except AmountError as exc:
            raise serializers.ValidationError({"amount": [str(exc)]}) from exc
        return attrs


class WalletBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.CharField()


class WalletListSerializer(serializers.Serializer):
    wallets = WalletBalanceSerializer(many=True)


class WalletEntrySerializer(serializers.ModelSerializer):
    transaction_id = serializers.IntegerField(source="transaction.pk")
    kind = serializers.ChoiceField(source="transaction.kind", choices=TransactionKind.choices)
    currency = serializers.CharField(source="account.currency")
    amount = serializers.CharField(help_text="Signed: positive into the wallet, negative out of it.")
    balance_after = serializers.CharField()
    reference = serializers.CharField(source="transaction.reference")
    memo = serializers.CharField(source="transaction.memo")
    created_at = serializers.DateTimeField(source="transaction.created_at")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "transaction_id",
            "kind",
            "currency",
            "amount",
            "balance_after",
            "reference",
            "memo",
            "created_at",
        ]


class TransferInputSerializer(AmountInputMixin, serializers.Serializer):
    amount = AmountField(help_text='A string at the currency\'s minor unit, e.g. "1500.00".')
    currency = serializers.ChoiceField(choices=CURRENCIES)
    recipient = serializers.CharField(max_length=254, help_text="The recipient's email, E.164 phone number or id.")
    note = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")


class TransferOutputSerializer(serializers.ModelSerializer):
    amount = serializers.CharField()
    recipient = serializers.UUIDField(source="recipient_id")

    class Meta:
        model = Transfer
        fields = ["id", "status", "amount", "currency", "recipient", "note", "created_at"]
