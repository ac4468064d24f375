from typing import Any

from rest_framework import serializers

from core.fields import MAX_ROW_ID, AmountField, TimeZoneField, json_without_nul, mobile_number_pattern, refuse_nul
from core.money import CURRENCY_CHOICES
from loyalty.models import (
    ApiKey,
    BudgetPeriod,
    Campaign,
    CampaignStatus,
    Channel,
    Customer,
    CustomerStatus,
    Issuance,
    IssuanceState,
    IssuanceTransition,
    ReferralStatus,
    Reward,
    RewardType,
    Rule,
    StaffRole,
    Tenant,
    TenantStaff,
    TierBasis,
    TierDowngrade,
)

PHONE_REGIONS = ("KE", "NG", "GH", "UG", "TZ", "RW", "ZA", "ZW")


class DataField(serializers.DictField):
    """A JSON object a client keeps with us (an event's data, a customer's attributes): no NUL character in it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[refuse_nul], **kwargs)
        self.input_schema = {"additionalProperties": json_without_nul(4)}


class RuleJsonField(serializers.JSONField):
    """A rule's JSON (its conditions): any JSON value, checked by the rules compiler; no NUL character in it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[refuse_nul], **kwargs)
        self.input_schema = json_without_nul(6)


class PhoneField(serializers.CharField):
    """A customer's mobile number in E.164."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=16, **kwargs)
        self.input_schema = {"pattern": mobile_number_pattern(*PHONE_REGIONS), "example": "+263771234567"}


class TenantSerializer(serializers.ModelSerializer[Tenant]):
    role = serializers.SerializerMethodField(help_text="Your role in this tenant.")

    class Meta:
        model = Tenant
        fields = ["id", "name", "display_name", "currency", "time_zone", "auto_enrol", "points_validity_days"]
        fields += ["tier_basis", "tier_period_days", "tier_downgrade", "tier_grace_days"]
        fields += ["referral_reward", "referral_event_type", "role", "created_at"]

    def get_role(self, tenant: Tenant) -> str | None:
        return self.context.get("roles", {}).get(tenant.pk)


class TenantInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    display_name = serializers.CharField(max_length=120, required=False)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    time_zone = TimeZoneField()
    auto_enrol = serializers.BooleanField(required=False, help_text="Enrol an unknown phone on its first event.")
    points_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)


class TenantChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120, required=False)
    display_name = serializers.CharField(max_length=120, required=False)
    time_zone = TimeZoneField(required=False)
    auto_enrol = serializers.BooleanField(required=False)
    points_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    tier_basis = serializers.ChoiceField(choices=TierBasis.choices, required=False)
    tier_period_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    tier_downgrade = serializers.ChoiceField(choices=TierDowngrade.choices, required=False)
    tier_grace_days = serializers.IntegerField(required=False, min_value=0, max_value=3650)
    referral_reward = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ROW_ID, help_text="A reward id; null: no referrals."
    )
    referral_event_type = serializers.RegexField(
        r"^[a-z0-9][a-z0-9_.:-]{0,63}$", max_length=64, required=False, help_text="The referee's qualifying event."
    )


class StaffSerializer(serializers.ModelSerializer[TenantStaff]):
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = TenantStaff
        fields = ["id", "email", "role", "created_at"]


class StaffInputSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=StaffRole.choices)


class StaffChangeSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=StaffRole.choices, required=False)


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiKey
        fields = ["id", "key_id", "name", "active", "created_at", "revoked_at", "last_used_at"]

    def get_active(self, key: ApiKey) -> bool:
        return key.revoked_at is None


class NewApiKeySerializer(ApiKeySerializer):
    secret = serializers.CharField(help_text="Shown once: keep it now. It signs your requests (HMAC-SHA256).")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]


class ApiKeyInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=80, required=False, help_text="Which till or system uses it.")


class CustomerSerializer(serializers.ModelSerializer[Customer]):
    tier = serializers.CharField(source="tier.name", allow_null=True, read_only=True, help_text="The tier's name.")

    class Meta:
        model = Customer
        fields = ["id", "phone", "external_ref", "status", "channel", "points", "attributes", "created_at"]
        fields += ["tier", "referral_code"]


class CustomerReferralSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(help_text=f"One of: {', '.join(ReferralStatus.values)}.")
    reason = serializers.CharField(help_text="Why refused: same_phone or same_device.")


class CustomerEnrolledSerializer(CustomerSerializer):
    referral = CustomerReferralSerializer(
        allow_null=True, read_only=True, help_text="The referral the code made (null: no code given)."
    )

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "referral"]


class CustomerInputSerializer(serializers.Serializer[Any]):
    phone = PhoneField()
    external_ref = serializers.CharField(max_length=80, required=False, help_text="Your own id for the customer.")
    attributes = DataField(required=False, help_text="What rules may read as `customer.attributes`.")
    referral_code = serializers.RegexField(
        r"^[A-Za-z0-9]{1,16}$", max_length=16, required=False, help_text="The code of the customer who referred them."
    )
    device_id = serializers.CharField(
        max_length=128, required=False, allow_blank=True, help_text="The device they enrol on (self-referral check)."
    )


class CustomerChangeSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    external_ref = serializers.CharField(max_length=80, required=False, allow_blank=True)
    attributes = DataField(required=False)


class CustomerQuerySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=CustomerStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    search = serializers.CharField(max_length=80, required=False, help_text="Part of a phone or external reference.")


# --- campaigns, budgets, rewards, rules, events, issuances -----------------------------------------------------


class MomentField(serializers.DateTimeField):
    """A moment from 2000 to 2100 (beyond, a time zone shift overflows a date); the schema says 2001 to 2099."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.input_schema = {"pattern": r"^20(0[1-9]|[1-9][0-9])-"}

    def to_internal_value(self, value: Any) -> Any:
        moment = super().to_internal_value(value)
        if not 2000 <= moment.year <= 2100:
            self.fail("invalid", format="a moment between the years 2000 and 2100")
        return moment


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "starts_at", "ends_at", "created_at"]


class CampaignInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    starts_at = MomentField(required=False)
    ends_at = MomentField(required=False)


class CampaignChangeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120, required=False)
    status = serializers.ChoiceField(choices=CampaignStatus.choices, required=False)
    starts_at = MomentField(required=False)
    ends_at = MomentField(required=False)


class BudgetSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    currency = serializers.CharField()
    total_amount = serializers.CharField()
    period = serializers.ChoiceField(choices=BudgetPeriod.choices)
    hard_cap = serializers.BooleanField()
    soft_cap_threshold = serializers.CharField(allow_null=True)
    reserved = serializers.CharField(help_text="Promised to rewards issued and not yet redeemed.")
    utilized = serializers.CharField(help_text="Spent on redeemed rewards.")
    available = serializers.CharField(help_text="Left to reserve.")
    used_this_period = serializers.CharField()
    created_at = serializers.DateTimeField()


class BudgetInputSerializer(serializers.Serializer[Any]):
    """In the tenant's currency (budgets and rewards share it)."""

    name = serializers.CharField(max_length=120)
    total_amount = AmountField(allow_zero=True, help_text='What rewards may cost per period, e.g. "500.00".')
    period = serializers.ChoiceField(choices=BudgetPeriod.choices)
    hard_cap = serializers.BooleanField(help_text="Refuse rewards over the cap; false: issue them and alert once.")
    soft_cap_threshold = AmountField(allow_zero=True, required=False, help_text="Alert when use reaches this.")


class TopUpInputSerializer(serializers.Serializer[Any]):
    amount = AmountField()


class LedgerLineSerializer(serializers.Serializer[Any]):
    transaction_id = serializers.IntegerField()
    kind = serializers.CharField()
    budget = serializers.IntegerField()
    account = serializers.CharField(help_text="`loyalty_budget` (available), `loyalty_reserved` or `loyalty_spent`.")
    amount = serializers.CharField()
    created_at = serializers.DateTimeField()


class RewardSerializer(serializers.ModelSerializer[Reward]):
    value = serializers.CharField()
    cost = serializers.CharField()
    codes_left = serializers.SerializerMethodField(help_text="Voucher codes not yet issued (vouchers only).")

    class Meta:
        model = Reward
        fields = ["id", "name", "reward_type", "discount_kind", "value", "cost", "budget", "campaign"]
        fields += ["validity_days", "terms", "stock", "codes_left", "active", "created_at"]

    def get_codes_left(self, reward: Reward) -> int | None:
        return self.context.get("codes_left")


class RewardInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    reward_type = serializers.ChoiceField(choices=RewardType.choices)
    discount_kind = serializers.ChoiceField(choices=[("percent", "Percent"), ("amount", "Amount")], required=False)
    value = AmountField(allow_zero=True, help_text="The discount (percent or amount) or the points, as a string.")
    cost = AmountField(allow_zero=True, help_text="What one issuance costs the budget.")
    budget = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    campaign = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False)
    validity_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    terms = serializers.CharField(max_length=2000, required=False)
    stock = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)


class CodesAddedSerializer(serializers.Serializer[Any]):
    added = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class RuleSerializer(serializers.ModelSerializer[Rule]):
    class Meta:
        model = Rule
        fields = ["id", "name", "conditions", "reward", "campaign", "priority", "caps", "cooldown_seconds"]
        fields += ["active", "stop_processing", "starts_at", "ends_at", "version", "updated_at"]


class RuleInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=120)
    conditions = RuleJsonField(
        help_text='JsonLogic over `event` and `customer`, e.g. {">=": [{"var": "event.data.amount"}, 500]}.'
    )
    reward = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    campaign = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False)
    priority = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, help_text="Lower first.")
    caps = DataField(required=False, help_text='{"per_customer": {"count", "period"}, "global": {…}}')
    cooldown_seconds = serializers.IntegerField(min_value=0, max_value=31_536_000, required=False)
    active = serializers.BooleanField(required=False)
    stop_processing = serializers.BooleanField(required=False)
    starts_at = MomentField(required=False)
    ends_at = MomentField(required=False)


class RuleChangeSerializer(RuleInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    conditions = RuleJsonField(required=False)
    reward = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False)


class EventInputSerializer(serializers.Serializer[Any]):
    customer = serializers.RegexField(
        r"^(\+[0-9]{6,15}|[1-9][0-9]{0,18})$", max_length=19, help_text="The customer's id, or phone in E.164."
    )
    event_type = serializers.RegexField(r"^[a-z0-9][a-z0-9_.:-]{0,63}$", max_length=64, help_text="e.g. purchase")
    event_data = DataField(required=False, help_text="What rules read as `event.data`.")
    idempotency_key = serializers.CharField(max_length=128, help_text="Yours, one per event: a retry sends it again.")
    occurred_at = MomentField(required=False, help_text="Default: now.")


class EventIssuanceSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reward = serializers.IntegerField()
    rule = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    code = serializers.CharField(allow_null=True)


class EventAnswerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    customer = serializers.IntegerField()
    event_type = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    issuances = EventIssuanceSerializer(many=True)
    skipped = serializers.ListField(
        child=serializers.DictField(), help_text="Rules that matched but gave nothing, and why (a cap, a budget)."
    )


class IssuanceSerializer(serializers.ModelSerializer[Issuance]):
    cost = serializers.CharField()

    class Meta:
        model = Issuance
        fields = ["id", "customer", "reward", "rule", "event", "state", "cost", "code", "expires_at", "created_at"]


class IssuanceQuerySerializer(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=IssuanceState.choices, required=False)
    customer = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, required=False)


class RedeemInputSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=64, required=False, help_text="The voucher or one-time code, if shown.")


class IssuanceCancelInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=255, required=False)


class TransitionSerializer(serializers.ModelSerializer[IssuanceTransition]):
    class Meta:
        model = IssuanceTransition
        fields = ["from_state", "to_state", "actor", "reason", "at"]


class IssuanceDetailSerializer(IssuanceSerializer):
    transitions = TransitionSerializer(many=True, help_text="Every change of state: from, to, who and when.")

    class Meta(IssuanceSerializer.Meta):
        fields = [*IssuanceSerializer.Meta.fields, "transitions"]


class PointsSpendInputSerializer(serializers.Serializer[Any]):
    amount = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    reason = serializers.CharField(max_length=120, help_text="What the points paid for, e.g. a till receipt.")
