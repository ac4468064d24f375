"""The shapes of a wallet movement's detail and receipt, of a wallet statement, and of the deposit and transfer
lists; the statement's query. Answers are built as dicts in `payments.receipts`; these describe them."""

from typing import Any

from rest_framework import serializers

from core.fields import SANE_DATE
from core.money import CURRENCIES
from payments.models import Charge, TransactionKind, Transfer

# a plain string in these answers: TransactionKind's choices as an enum here would collide in the schema's enum names
KIND_HELP = "What moved the money: " + ", ".join(f"`{value}`" for value in TransactionKind.values) + "."


class WalletCounterpartySerializer(serializers.Serializer[Any]):
    type = serializers.CharField(
        help_text="`user` (a transfer), `provider` (a deposit), `bank_account` or `phone` (a withdrawal), or the "
        "owner of the other ledger account (`group`, `pamoja` …)."
    )
    id = serializers.CharField(allow_blank=True, help_text="The user, provider, bank account or group; may be empty.")
    name = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True, help_text="A masked account number, a phone number, a code.")


class WalletTransactionDetailSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The wallet row's id, as in `wallet/transactions/`.")
    transaction_id = serializers.IntegerField()
    kind = serializers.CharField(help_text=KIND_HELP)
    kind_label = serializers.CharField()
    status = serializers.CharField(help_text="`completed`, or a withdrawal's or bill order's own status.")
    direction = serializers.ChoiceField(choices=["in", "out"])
    currency = serializers.CharField()
    amount = serializers.CharField(help_text="Signed: positive into the wallet, negative out of it; fee included.")
    fee = serializers.CharField(help_text="Pamoja's fee within this movement.")
    balance_after = serializers.CharField(allow_null=True)
    reference = serializers.CharField(allow_blank=True)
    memo = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True, help_text="A transfer's note.")
    counterparty = WalletCounterpartySerializer(allow_null=True)
    provider = serializers.CharField(allow_blank=True, help_text="`paystack`, `flutterwave`, `mpesa`, or empty.")
    provider_reference = serializers.CharField(allow_blank=True)
    receipt_code = serializers.CharField(allow_blank=True, help_text="M-Pesa's receipt code, once M-Pesa sent it.")
    created_at = serializers.DateTimeField()


class WalletReceiptSerializer(WalletTransactionDetailSerializer):
    receipt_number = serializers.CharField()
    holder = serializers.CharField()
    issued_at = serializers.DateTimeField()


class WalletStatementQuerySerializer(serializers.Serializer[Any]):
    currency = serializers.ChoiceField(choices=CURRENCIES)
    start = serializers.DateField(
        required=False, validators=SANE_DATE, help_text="First day (server time zone); default: 90 days before end."
    )
    end = serializers.DateField(required=False, validators=SANE_DATE, help_text="Last day, included; default: today.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": ["The start comes after the end."]})
        return attrs


class WalletStatementMovementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The wallet row, as in `wallet/transactions/{id}/`.")
    transaction_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    kind = serializers.CharField(help_text=KIND_HELP)
    description = serializers.CharField()
    reference = serializers.CharField(allow_blank=True)
    amount = serializers.CharField(help_text="Signed: positive into the wallet.")
    balance = serializers.CharField(help_text="The balance after this movement.")


class WalletStatementSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    holder = serializers.CharField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    time_zone = serializers.CharField()
    opening_balance = serializers.CharField()
    money_in = serializers.CharField()
    money_out = serializers.CharField()
    closing_balance = serializers.CharField(help_text="Opening balance plus the movements.")
    movements = WalletStatementMovementSerializer(many=True)
    totals = serializers.DictField(child=serializers.CharField(), help_text="Net movement by kind.")


class DepositListSerializer(serializers.ModelSerializer[Charge]):
    amount = serializers.CharField(read_only=True)
    # plain strings: the same choices as a component's elsewhere would collide in the schema's enum names
    status = serializers.CharField(read_only=True, help_text="`pending`, `succeeded` or `failed`.")
    provider = serializers.CharField(read_only=True, help_text="`paystack`, `flutterwave` or `mpesa`.")
    currency = serializers.CharField(read_only=True)

    class Meta:
        model = Charge
        fields = [
            "reference",
            "status",
            "amount",
            "currency",
            "provider",
            "provider_reference",
            "receipt_code",
            "failure_reason",
            "created_at",
            "settled_at",
        ]


class TransferListSerializer(serializers.ModelSerializer[Transfer]):
    amount = serializers.CharField(read_only=True)
    direction = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text="`completed` or `reversed`.")
    currency = serializers.CharField(read_only=True)
    sender = serializers.UUIDField(source="sender_id")
    recipient = serializers.UUIDField(source="recipient_id")

    class Meta:
        model = Transfer
        fields = ["id", "direction", "status", "amount", "currency", "sender", "recipient", "note", "created_at"]

    def get_direction(self, transfer: Transfer) -> str:
        """`out` when you sent it, `in` when you received it."""
        return "out" if transfer.sender_id == self.context["request"].user.pk else "in"
