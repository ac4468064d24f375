"""The REST face of tiers, referrals and consent (under `loyalty/tenants/{tenant_id}/`)."""

from typing import Any

from rest_framework import serializers

from core.fields import AmountField
from loyalty.models import ConsentChannel, ConsentRecord, Referral, ReferralStatus, Tier, TierBasis, TierChange


class TierSerializer(serializers.ModelSerializer[Tier]):
    threshold = serializers.CharField(help_text="Points, or spend in the tenant's currency, to reach it.")

    class Meta:
        model = Tier
        fields = ["id", "name", "threshold", "benefits", "created_at"]


class TierInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=60, help_text='What rules compare `customer.tier` with, e.g. "Gold".')
    threshold = AmountField(help_text='Points, or spend in the tenant\'s currency, as a string, e.g. "1000".')
    benefits = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TierChangeInputSerializer(TierInputSerializer):
    name = serializers.CharField(max_length=60, required=False)
    threshold = AmountField(required=False)


class TierBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    threshold = serializers.CharField()


class TierChangeSerializer(serializers.ModelSerializer[TierChange]):
    from_tier = serializers.CharField(source="from_tier.name", allow_null=True, help_text="null: no tier.")
    to_tier = serializers.CharField(source="to_tier.name", allow_null=True, help_text="null: no tier.")
    total = serializers.CharField(help_text="The period's total when it changed.")

    class Meta:
        model = TierChange
        fields = ["from_tier", "to_tier", "total", "at"]


class CustomerTierSerializer(serializers.Serializer[Any]):
    tier = TierBriefSerializer(allow_null=True)
    tier_since = serializers.DateTimeField(allow_null=True)
    below_tier_since = serializers.DateTimeField(
        allow_null=True, help_text="Since when the total is below the tier (the grace policy counts from it)."
    )
    tier_basis = serializers.ChoiceField(choices=TierBasis.choices)
    tier_period_days = serializers.IntegerField()
    total = serializers.CharField(help_text="Points earned, or spend, in the rolling period.")
    next_tier = TierBriefSerializer(allow_null=True)
    missing = serializers.CharField(allow_null=True, help_text="What the next tier still needs.")
    history = TierChangeSerializer(many=True)


class ReferralSerializer(serializers.ModelSerializer[Referral]):
    class Meta:
        model = Referral
        fields = ["id", "referrer", "referee", "status", "reason", "event", "created_at", "rewarded_at"]


class ReferralQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False)


class ConsentRecordSerializer(serializers.ModelSerializer[ConsentRecord]):
    channel = serializers.CharField(read_only=True, help_text="whatsapp, sms or email.")

    class Meta:
        model = ConsentRecord
        fields = ["channel", "granted", "source", "recorded_at"]


class ConsentChannelsSerializer(serializers.Serializer[Any]):
    whatsapp = ConsentRecordSerializer(allow_null=True, help_text="The latest choice; null: never asked.")
    sms = ConsentRecordSerializer(allow_null=True)
    email = ConsentRecordSerializer(allow_null=True)


class CustomerConsentSerializer(serializers.Serializer[Any]):
    channels = ConsentChannelsSerializer()
    history = ConsentRecordSerializer(many=True, help_text="Every record, newest first.")


class ConsentInputSerializer(serializers.Serializer[Any]):
    # a pattern, not an enum: the schema's enums are named by field, and `channel` names the customer's already
    channel = serializers.RegexField(rf"^({'|'.join(ConsentChannel.values)})$", help_text="whatsapp, sms or email.")
    granted = serializers.BooleanField(help_text="true: opted in to marketing; false: opted out (no SMS at all).")
    source = serializers.CharField(  # type: ignore[assignment]  # a body field, not DRF's Field.source
        max_length=40,
        required=False,
        help_text='Where the customer said so, e.g. "paper form"; default "api" or "staff:<user id>".',
    )
