from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from groups.models import (
    DefaultPolicy,
    Frequency,
    GroupKind,
    GroupMessage,
    GroupStatus,
    Membership,
    MembershipStatus,
    PayoutOrder,
    PenaltyKind,
    PenaltyRecurrence,
    Role,
    SavingsGroup,
    SwapRequest,
    validate_time_zone,
)
from payments.money import CURRENCIES, AmountError, parse_amount
from payments.serializers import AmountField

AMOUNT_FIELDS = ("contribution_amount", "penalty_amount", "penalty_cap", "security_deposit", "registration_fee")


class GroupInputSerializer(serializers.Serializer):
    """Create (every required field) or change (`partial`) a group. Amounts are strings at the currency's minor
    unit; `penalty_amount` is a percent when `penalty_kind` is `percent`."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    contribution_amount = AmountField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    start_date = serializers.DateField(help_text="The first due date, in the group's time zone.")
    time_zone = serializers.CharField(required=False, max_length=40, validators=[validate_time_zone])
    member_limit = serializers.IntegerField(required=False, min_value=2, max_value=100)
    max_slots_per_member = serializers.IntegerField(required=False, min_value=1, max_value=5)
    payout_order = serializers.ChoiceField(choices=PayoutOrder.choices, required=False)
    grace_days = serializers.IntegerField(required=False, min_value=0, max_value=30)
    penalty_kind = serializers.ChoiceField(choices=PenaltyKind.choices, required=False)
    penalty_amount = AmountField(required=False)
    penalty_recurrence = serializers.ChoiceField(choices=PenaltyRecurrence.choices, required=False)
    penalty_cap = AmountField(required=False, allow_null=True)
    service_fee_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("10"), required=False
    )
    security_deposit = AmountField(required=False, help_text="Ajo: held in escrow, returned at the end.")
    registration_fee = AmountField(required=False, help_text="Chama: paid into the pot on joining.")
    default_policy = serializers.ChoiceField(choices=DefaultPolicy.choices, required=False)
    rules = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    objectives = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    meeting_day = serializers.CharField(required=False, allow_blank=True, max_length=20)
    meeting_time = serializers.TimeField(required=False, allow_null=True)
    meeting_place = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        currency = attrs.get("currency") or getattr(self.instance, "currency", None)
        errors = {}
        for name in AMOUNT_FIELDS:
            if attrs.get(name) is None:
                continue
            if (
                name == "penalty_amount"
                and (attrs.get("penalty_kind") or getattr(self.instance, "penalty_kind", "")) == PenaltyKind.PERCENT
            ):
                currency_for_value = "KES"  # a percent with two decimals
            else:
                currency_for_value = currency
            try:
                attrs[name] = parse_amount(
                    attrs[name], currency_for_value, allow_zero=name not in ("contribution_amount", "penalty_cap")
                )
            except AmountError as exc:
                errors[name] = [str(exc)]
        kind = attrs.get("penalty_kind") or getattr(self.instance, "penalty_kind", PenaltyKind.NONE)
        if kind == PenaltyKind.PERCENT and attrs.get("penalty_amount", Decimal("0")) > 100:
            errors["penalty_amount"] = ["A percent penalty is at most 100."]
        if kind != PenaltyKind.NONE and "penalty_amount" in attrs and attrs["penalty_amount"] == 0:
            errors["penalty_amount"] = ["Give the penalty's amount (or percent), or set penalty_kind to none."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class MyMembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=MembershipStatus.choices)
    slots = serializers.IntegerField()
    dues_paid = serializers.BooleanField()


class GroupSerializer(serializers.ModelSerializer):
    contribution_amount = AmountField()
    penalty_amount = AmountField()
    penalty_cap = AmountField(allow_null=True)
    security_deposit = AmountField()
    registration_fee = AmountField()
    service_fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    invite_link = serializers.SerializerMethodField()
    member_count = serializers.SerializerMethodField()
    pot_balance = serializers.SerializerMethodField()
    me = serializers.SerializerMethodField()

    class Meta:
        model = SavingsGroup
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "currency",
            "contribution_amount",
            "frequency",
            "start_date",
            "time_zone",
            "member_limit",
            "max_slots_per_member",
            "payout_order",
            "grace_days",
            "penalty_kind",
            "penalty_amount",
            "penalty_recurrence",
            "penalty_cap",
            "service_fee_percent",
            "security_deposit",
            "registration_fee",
            "default_policy",
            "rules",
            "objectives",
            "meeting_day",
            "meeting_time",
            "meeting_place",
            "status",
            "invite_code",
            "invite_link",
            "seed_commitment",
            "member_count",
            "pot_balance",
            "me",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_invite_link(self, group) -> str:
        return f"{settings.FRONTEND_URL}/join/{group.invite_code}" if group.status == GroupStatus.FORMING else ""

    def get_member_count(self, group) -> int:
        return group.memberships.filter(status=MembershipStatus.ACTIVE).count()

    @extend_schema_field(AmountField())
    def get_pot_balance(self, group) -> str:
        from groups.selectors import pot_balance_of

        return str(pot_balance_of(group=group))

    @extend_schema_field(MyMembershipSerializer(allow_null=True))
    def get_me(self, group):
        membership = self.context.get("membership")
        if membership is None:
            return None
        return {
            "id": membership.pk,
            "role": membership.role,
            "status": membership.status,
            "slots": membership.slots,
            "dues_paid": membership.dues_paid_at is not None,
        }


class JoinInputSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=40)
    slots = serializers.IntegerField(required=False, min_value=1, max_value=5, default=1)


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user_id")
    name = serializers.SerializerMethodField()
    dues_paid = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "user", "name", "role", "status", "slots", "joined_at", "dues_paid"]

    def get_name(self, membership) -> str:
        user = membership.user
        return (user.get_full_name() or user.email.split("@")[0]).strip()

    def get_dues_paid(self, membership) -> bool:
        return membership.dues_paid_at is not None


class JoinOutputSerializer(MembershipSerializer):
    group = serializers.UUIDField(source="group_id")

    class Meta(MembershipSerializer.Meta):
        fields = ["group", *MembershipSerializer.Meta.fields]


class MemberChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(
        choices=[(MembershipStatus.ACTIVE, "Active"), (MembershipStatus.SUSPENDED, "Suspended")], required=False
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"non_field_errors": ["Give a role or a status."]})
        return attrs


class RotationEntrySerializer(serializers.Serializer):
    position = serializers.IntegerField()
    cycle = serializers.IntegerField(allow_null=True)
    user = serializers.UUIDField()
    slot = serializers.IntegerField()
    token = serializers.CharField(help_text="What the random draw shuffles: `<user id>:<slot>`.")
    due_date = serializers.DateField(allow_null=True)


class RotationSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PayoutOrder.choices)
    commitment = serializers.CharField(allow_null=True, help_text="sha256(seed), published when the group opened.")
    seed = serializers.CharField(allow_null=True, help_text="Revealed when the group starts.")
    algorithm = serializers.CharField()
    order = RotationEntrySerializer(many=True)


class ChairOrderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.UUIDField(), min_length=2, help_text="User ids, first payout first."
    )


class SwapInputSerializer(serializers.Serializer):
    from_cycle = serializers.IntegerField(min_value=1, help_text="Your turn.")
    to_cycle = serializers.IntegerField(min_value=1, help_text="The turn you want.")


class SwapSerializer(serializers.ModelSerializer):
    requested_by = serializers.UUIDField(source="requested_by.user_id")
    counterparty = serializers.UUIDField(source="counterparty.user_id")

    class Meta:
        model = SwapRequest
        fields = ["id", "requested_by", "counterparty", "from_cycle", "to_cycle", "status", "created_at", "decided_at"]


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.UUIDField(source="author_id")

    class Meta:
        model = GroupMessage
        fields = ["id", "author", "body", "created_at"]


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="cancelled by the chair")
