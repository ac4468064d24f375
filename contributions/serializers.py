from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contributions.models import Contribution, ContributionStatus, Cycle, Payout, Penalty
from core.fields import AmountField
from payments.serializers import e164_phone, require_kenyan_phone


class ContributionSerializer(serializers.ModelSerializer):
    group = serializers.UUIDField(source="cycle.group_id")
    group_name = serializers.CharField(source="cycle.group.name")
    cycle = serializers.IntegerField(source="cycle.number")
    currency = serializers.CharField(source="cycle.group.currency")
    amount = AmountField()

    class Meta:
        model = Contribution
        fields = ["id", "group", "group_name", "cycle", "slot", "amount", "currency", "status", "due_date", "paid_at"]


class ContributionPayInputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["wallet", "mpesa"])
    phone_number = serializers.CharField(required=False, max_length=20, help_text="E.164 M-Pesa number.")

    def validate(self, attrs):
        if attrs["source"] == "mpesa":
            if not attrs.get("phone_number"):
                raise serializers.ValidationError({"phone_number": ["An M-Pesa payment needs the paying phone."]})
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
            require_kenyan_phone(attrs["phone_number"])
        return attrs


SETTLED_KINDS = [("contribution", "Contribution"), ("penalty", "Penalty")]


class SettledItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SETTLED_KINDS)
    id = serializers.IntegerField()
    amount = AmountField()


class ContributionPaymentSerializer(serializers.Serializer):
    """The contribution after the payment, what the payment settled (oldest first) and its total."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ContributionStatus.choices)
    total = AmountField(allow_null=True)
    settled = SettledItemSerializer(many=True)
    deposit_reference = serializers.CharField(allow_null=True, help_text="M-Pesa: the deposit to follow.")


class PayoutSerializer(serializers.ModelSerializer):
    group = serializers.UUIDField(source="cycle.group_id")
    cycle = serializers.IntegerField(source="cycle.number")
    recipient = serializers.UUIDField(source="recipient.user_id")
    currency = serializers.CharField(source="cycle.group.currency")
    gross_amount = AmountField()
    fee = AmountField()
    deductions = AmountField()
    amount = AmountField()
    cash_amount = AmountField(help_text="Shares paid in cash: officials hand them over from the group's cash book.")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Payout
        fields = [
            "id",
            "group",
            "cycle",
            "recipient",
            "currency",
            "gross_amount",
            "fee",
            "deductions",
            "amount",
            "cash_amount",
            "details",
            "status",
            "paid_at",
        ]

    def get_status(self, payout) -> str:
        return "paid"


class CycleSerializer(serializers.ModelSerializer):
    recipient = serializers.UUIDField(source="recipient.user_id")
    paid_count = serializers.IntegerField()
    contribution_count = serializers.IntegerField()
    payout = serializers.SerializerMethodField()

    class Meta:
        model = Cycle
        fields = [
            "number",
            "due_date",
            "recipient",
            "recipient_slot",
            "status",
            "paid_count",
            "contribution_count",
            "payout",
        ]

    @extend_schema_field(PayoutSerializer(allow_null=True))
    def get_payout(self, cycle):
        payout = getattr(cycle, "payout", None)
        return PayoutSerializer(payout).data if payout else None


class PenaltyPaymentSerializer(serializers.ModelSerializer):
    amount = AmountField()

    class Meta:
        model = Penalty
        fields = ["id", "kind", "amount", "reason", "status", "paid_at"]
