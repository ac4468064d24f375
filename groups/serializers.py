from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MAX_ROW_ID, SANE_DATE, AmountField, TimeZoneField, amount_pattern, currency_branches, e164_phone
from core.money import CURRENCIES, CURRENCY_DIGITS, AmountError, parse_amount
from groups.hooks import GROUP_FIGURES, announce
from groups.models import (
    MONEY_SETTINGS,
    Attendance,
    AttendanceStatus,
    DefaultPolicy,
    Frequency,
    GroupKind,
    GroupMessage,
    GroupScheme,
    GroupStatus,
    InterestMethod,
    Meeting,
    Membership,
    MembershipStatus,
    PayoutOrder,
    PenaltyKind,
    PenaltyRecurrence,
    Role,
    SavingsGroup,
)

START_DATE_HORIZON = timedelta(days=366)  # a group opens to start within a year
MEETING_HORIZON = timedelta(days=366)  # a meeting is scheduled (or recorded) within a year of today
DEFAULT_TIME_ZONE = SavingsGroup._meta.get_field("time_zone").default

AMOUNT_FIELDS = (
    "contribution_amount",
    "penalty_amount",
    "penalty_cap",
    "security_deposit",
    "registration_fee",
    "loan_late_fee",
    "absence_fine",
    "welfare_contribution",
)


class GroupInputSerializer(serializers.Serializer):
    """Create (every required field) or change (`partial`) a group. Amounts are strings at the currency's minor
    unit; `penalty_amount` is a percent when `penalty_kind` is `percent`."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    scheme = serializers.ChoiceField(
        choices=GroupScheme.choices,
        required=False,
        help_text="`rotating` (default): each cycle's pot goes to one member in turn. `savings` (chamas only): the "
        "pot grows and lends, and is shared out by savings and time held at the end of each period.",
    )
    share_out_date = serializers.DateField(
        required=False,
        allow_null=True,
        validators=SANE_DATE,
        help_text="Savings groups: the first share-out day, after the first due date and within two years of it "
        "(default: a year after it); later periods end a year apart.",
    )
    allow_top_ups = serializers.BooleanField(
        required=False, help_text="Savings groups: the contribution is a minimum and members may save more any time."
    )
    currency = serializers.ChoiceField(choices=CURRENCIES)
    contribution_amount = AmountField()
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    start_date = serializers.DateField(
        help_text="The first due date, in the group's time zone: from today to a year ahead.", validators=SANE_DATE
    )
    time_zone = TimeZoneField(required=False)
    member_limit = serializers.IntegerField(required=False, min_value=2, max_value=100)
    max_slots_per_member = serializers.IntegerField(required=False, min_value=1, max_value=5)
    payout_order = serializers.ChoiceField(choices=PayoutOrder.choices, required=False)
    grace_days = serializers.IntegerField(required=False, min_value=0, max_value=30)
    penalty_kind = serializers.ChoiceField(choices=PenaltyKind.choices, required=False)
    penalty_amount = AmountField(allow_zero=True, required=False)
    penalty_recurrence = serializers.ChoiceField(choices=PenaltyRecurrence.choices, required=False)
    penalty_cap = AmountField(required=False, allow_null=True)
    service_fee_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("10"), required=False
    )
    security_deposit = AmountField(
        allow_zero=True, required=False, help_text="Ajo: held in escrow, returned at the end."
    )
    registration_fee = AmountField(allow_zero=True, required=False, help_text="Chama: paid into the pot on joining.")
    default_policy = serializers.ChoiceField(choices=DefaultPolicy.choices, required=False)
    rules = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    objectives = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    meeting_day = serializers.CharField(required=False, allow_blank=True, max_length=20)
    meeting_time = serializers.TimeField(required=False, allow_null=True)
    meeting_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    loan_interest_method = serializers.ChoiceField(choices=InterestMethod.choices, required=False)
    loan_monthly_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("10"), required=False
    )
    loan_limit_multiplier = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=Decimal("0"), max_value=Decimal("10"), required=False
    )
    loan_max_term_months = serializers.IntegerField(min_value=1, max_value=60, required=False)
    loan_late_fee = AmountField(allow_zero=True, required=False)
    absence_fine = AmountField(allow_zero=True, required=False)
    allow_partial_payments = serializers.BooleanField(
        required=False, help_text="Members may pay any amount towards their dues (held until it covers one whole)."
    )
    welfare_contribution = AmountField(
        allow_zero=True, required=False, help_text="Each member's welfare-fund dues per cycle; 0 for no fund."
    )
    resolution_quorum_percent = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Votes cast, as a percent of active members, for a resolution to count (default 50).",
    )
    resolution_majority_percent = serializers.IntegerField(
        min_value=50,
        max_value=99,
        required=False,
        help_text="A resolution passes when more than this percent of the votes cast say yes (default 50).",
    )

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
                attrs[name] = parse_amount(attrs[name], currency_for_value, allow_zero=self.fields[name].allow_zero)
            except AmountError as exc:
                errors[name] = [str(exc)]
        kind = attrs.get("penalty_kind") or getattr(self.instance, "penalty_kind", PenaltyKind.NONE)
        parsed = "penalty_amount" not in errors  # else it is still what was sent ("", a list, ...)
        if parsed and kind == PenaltyKind.PERCENT and attrs.get("penalty_amount", Decimal("0")) > 100:
            errors["penalty_amount"] = ["A percent penalty is at most 100."]
        if parsed and kind != PenaltyKind.NONE and "penalty_amount" in attrs and attrs["penalty_amount"] == 0:
            errors["penalty_amount"] = ["Give the penalty's amount (or percent), or set penalty_kind to none."]
        if attrs.get("start_date") is not None:
            time_zone = attrs.get("time_zone") or getattr(self.instance, "time_zone", None) or DEFAULT_TIME_ZONE
            today = timezone.now().astimezone(ZoneInfo(time_zone)).date()
            if not today <= attrs["start_date"] <= today + START_DATE_HORIZON:
                errors["start_date"] = [
                    f"The first due date must be between today ({today}) and {today + START_DATE_HORIZON}."
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def input_rules(self) -> dict[str, Any]:
        """`validate` across fields, by currency and penalty kind: amounts at the currency's minor unit; a percent
        penalty from 0.01 to 100 (two decimals), a flat one more than zero, none any. A change (`partial`) without
        `penalty_kind` keeps the group's, which may be a penalty: its amount is then more than zero."""
        zero = [name for name in AMOUNT_FIELDS if getattr(self.fields[name], "allow_zero", False)]
        percent = {"pattern": amount_pattern(places=2, maximum=Decimal(100))}
        branches = []
        for rule in currency_branches(CURRENCIES, amounts=AMOUNT_FIELDS, allow_zero=zero):
            properties = rule["properties"]
            any_amount = properties["penalty_amount"]
            positive = {"pattern": amount_pattern(places=CURRENCY_DIGITS[properties["currency"]["enum"][0]])}
            for kind in PenaltyKind.values:
                amount = {str(PenaltyKind.PERCENT): percent, str(PenaltyKind.NONE): any_amount}.get(kind, positive)
                branches.append(
                    {
                        "properties": {**properties, "penalty_kind": {"enum": [kind]}, "penalty_amount": amount},
                        "required": ["penalty_kind"],
                    }
                )
            amount = positive if self.partial else any_amount
            branches.append(
                {"properties": {**properties, "penalty_amount": amount}, "not": {"required": ["penalty_kind"]}}
            )
        return {"anyOf": branches}


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
    loan_late_fee = AmountField()
    absence_fine = AmountField()
    welfare_contribution = AmountField()
    service_fee_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    loan_monthly_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    loan_limit_multiplier = serializers.DecimalField(max_digits=4, decimal_places=1)
    invite_link = serializers.SerializerMethodField()
    member_count = serializers.SerializerMethodField()
    pot_balance = serializers.SerializerMethodField()
    me = serializers.SerializerMethodField()
    figures = serializers.SerializerMethodField(help_text="Headline health figures (a single group's view only).")

    class Meta:
        model = SavingsGroup
        fields = [
            "id",
            "name",
            "description",
            *MONEY_SETTINGS,
            "rules",
            "objectives",
            "meeting_day",
            "meeting_time",
            "meeting_place",
            "loan_interest_method",
            "loan_monthly_rate",
            "loan_limit_multiplier",
            "loan_max_term_months",
            "loan_late_fee",
            "absence_fine",
            "status",
            "invite_code",
            "invite_link",
            "seed_commitment",
            "member_count",
            "pot_balance",
            "me",
            "figures",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_invite_link(self, group) -> str:
        return f"{settings.FRONTEND_URL}/join/{group.invite_code}" if group.status == GroupStatus.FORMING else ""

    def get_member_count(self, group) -> int:
        return group.memberships.filter(status=MembershipStatus.ACTIVE).count()

    def _money_of(self, group) -> dict:
        """What the group's money shows (announced to the app that holds it), read once per group."""
        cache = self.__dict__.setdefault("_money", {})
        if group.pk not in cache:
            headline = bool(self.context.get("with_figures")) and group.status != GroupStatus.FORMING
            cache[group.pk] = announce(GROUP_FIGURES, group=group, headline=headline) or {}
        return cache[group.pk]

    @extend_schema_field(AmountField())
    def get_pot_balance(self, group) -> str:
        return str(self._money_of(group).get("pot_balance", Decimal("0.00")))

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_figures(self, group):
        if not self.context.get("with_figures") or group.status == GroupStatus.FORMING:
            return None
        return self._money_of(group).get("figures")

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

    def input_rules(self) -> dict[str, Any]:
        return {"anyOf": [{"required": ["role"]}, {"required": ["status"]}]}


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.UUIDField(source="author_id")

    class Meta:
        model = GroupMessage
        fields = ["id", "author", "body", "created_at"]


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="cancelled by the chair")


# --- meetings and fines -------------------------------------------------------------------------------------


class MeetingInputSerializer(serializers.Serializer):
    scheduled_for = serializers.DateTimeField(help_text="Within a year of now, either way.")
    place = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    link = serializers.URLField(required=False, allow_blank=True, max_length=200, default="")
    agenda = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")

    def validate_scheduled_for(self, value):
        now = timezone.now()
        if not now - MEETING_HORIZON <= value <= now + MEETING_HORIZON:
            raise serializers.ValidationError("A meeting is scheduled within a year of today, either way.")
        return value


class AttendanceEntrySerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)


class MeetingRecordSerializer(serializers.Serializer):
    attendance = AttendanceEntrySerializer(many=True, required=False, default=list)
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class AttendanceSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="membership.user_id")

    class Meta:
        model = Attendance
        fields = ["membership", "user", "status"]


class MeetingSerializer(serializers.ModelSerializer):
    attendance = AttendanceSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "scheduled_for", "place", "link", "agenda", "minutes", "status", "attendance", "created_at"]


class InviteInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254, required=False)
    phone_number = serializers.CharField(max_length=20, required=False, help_text="E.164, e.g. +254712345678.")

    def input_rules(self) -> dict[str, Any]:
        """An email, a phone, or both (`validate`)."""
        return {"anyOf": [{"required": ["email"]}, {"required": ["phone_number"]}]}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("phone_number"):
            raise serializers.ValidationError({"email": ["Give an email address or a phone number to invite."]})
        if attrs.get("phone_number"):
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
        return attrs
