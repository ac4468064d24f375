import zoneinfo
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contributions.models import Penalty
from core.clock import local_today
from core.fields import AmountField
from core.money import CURRENCIES, AmountError, parse_amount
from groups.models import (
    MONEY_SETTINGS,
    Attendance,
    AttendanceStatus,
    DefaultPolicy,
    Frequency,
    GroupKind,
    GroupMessage,
    GroupStatus,
    InterestMethod,
    Loan,
    LoanDecision,
    LoanGuarantee,
    LoanInstalment,
    LoanStatus,
    Meeting,
    Membership,
    MembershipStatus,
    PaymentMethod,
    PaymentTarget,
    PayoutOrder,
    PenaltyKind,
    PenaltyRecurrence,
    RecordedPayment,
    Role,
    SavingsGroup,
    SwapRequest,
    validate_time_zone,
)

# Any date the API takes lies in this window, so the calendar arithmetic behind it (a day after, 90 days before, a
# schedule's due dates) never leaves Python's date range (0001-01-01 to 9999-12-31).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
SANE_DATE = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
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
)

MAX_ROW_ID = 2**63 - 1  # a bigint column's largest id: anything above it is no row, and SQLite cannot even compare it
MAX_CYCLES = 10_000


class TimeZoneField(serializers.CharField):
    """An IANA time zone; `input_enum` lists them for the OpenAPI schema of requests."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, validators=[validate_time_zone], **kwargs)
        self.input_enum = sorted(zone for zone in zoneinfo.available_timezones() if len(zone) <= 40)


class GroupInputSerializer(serializers.Serializer):
    """Create (every required field) or change (`partial`) a group. Amounts are strings at the currency's minor
    unit; `penalty_amount` is a percent when `penalty_kind` is `percent`."""

    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    kind = serializers.ChoiceField(choices=GroupKind.choices)
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
        if kind == PenaltyKind.PERCENT and attrs.get("penalty_amount", Decimal("0")) > 100:
            errors["penalty_amount"] = ["A percent penalty is at most 100."]
        if kind != PenaltyKind.NONE and "penalty_amount" in attrs and attrs["penalty_amount"] == 0:
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

    @extend_schema_field(AmountField())
    def get_pot_balance(self, group) -> str:
        from groups.selectors import pot_balance_of

        return str(pot_balance_of(group=group))

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_figures(self, group):
        from groups.reports import headline_figures

        if not self.context.get("with_figures") or group.status == GroupStatus.FORMING:
            return None
        return headline_figures(group=group)

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
    from_cycle = serializers.IntegerField(min_value=1, max_value=MAX_CYCLES, help_text="Your turn.")
    to_cycle = serializers.IntegerField(min_value=1, max_value=MAX_CYCLES, help_text="The turn you want.")


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


class FineInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    amount = AmountField()
    reason = serializers.CharField(max_length=200)


class PenaltySerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="membership.user_id")
    amount = AmountField()

    class Meta:
        model = Penalty
        fields = ["id", "kind", "membership", "user", "amount", "reason", "status", "created_at", "paid_at"]


# --- loans --------------------------------------------------------------------------------------------------


class GuarantorInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    amount = AmountField()


class LoanApplicationSerializer(serializers.Serializer):
    amount = AmountField()
    term_months = serializers.IntegerField(min_value=1, max_value=60)
    purpose = serializers.CharField(max_length=200)
    guarantors = GuarantorInputSerializer(many=True, required=False, default=list)


class DecisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RepaymentInputSerializer(serializers.Serializer):
    amount = AmountField()


class InstalmentSerializer(serializers.ModelSerializer):
    principal = AmountField()
    interest = AmountField()
    late_fee = AmountField()
    principal_paid = AmountField()
    interest_paid = AmountField()
    late_fee_paid = AmountField()
    amount = AmountField()

    class Meta:
        model = LoanInstalment
        fields = [
            "number",
            "due_date",
            "amount",
            "principal",
            "interest",
            "late_fee",
            "principal_paid",
            "interest_paid",
            "late_fee_paid",
            "status",
        ]


class GuaranteeSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="guarantor.user_id")
    amount = AmountField()

    class Meta:
        model = LoanGuarantee
        fields = ["id", "guarantor", "user", "amount", "status", "decided_at"]


class LoanDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanDecision
        fields = ["official", "kind", "reason", "created_at"]


class LoanSerializer(serializers.ModelSerializer):
    borrower_user = serializers.UUIDField(source="borrower.user_id")
    principal = AmountField()
    monthly_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    outstanding_principal = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "borrower",
            "borrower_user",
            "principal",
            "term_months",
            "purpose",
            "interest_method",
            "monthly_rate",
            "status",
            "outstanding_principal",
            "applied_at",
            "approved_at",
            "disbursed_at",
            "closed_at",
        ]

    @extend_schema_field(AmountField())
    def get_outstanding_principal(self, loan) -> str:
        from groups.loans import outstanding_principal

        return str(outstanding_principal(loan))


class PlannedInstalmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = AmountField()
    principal = AmountField()
    interest = AmountField()


class LoanDetailSerializer(LoanSerializer):
    """The loan statement: schedule, what is paid, guarantees, decisions, and the payoff amount today."""

    instalments = InstalmentSerializer(many=True, read_only=True)
    guarantees = GuaranteeSerializer(many=True, read_only=True)
    decisions = LoanDecisionSerializer(many=True, read_only=True)
    payoff_today = serializers.SerializerMethodField()
    planned_schedule = serializers.SerializerMethodField()

    class Meta(LoanSerializer.Meta):
        fields = [
            *LoanSerializer.Meta.fields,
            "payoff_today",
            "instalments",
            "planned_schedule",
            "guarantees",
            "decisions",
        ]

    @extend_schema_field(AmountField(allow_null=True))
    def get_payoff_today(self, loan):
        from groups.loans import payoff_amount

        if loan.status != LoanStatus.DISBURSED:
            return None
        return str(payoff_amount(loan, local_today(loan.group.tz)))

    @extend_schema_field(PlannedInstalmentSerializer(many=True))
    def get_planned_schedule(self, loan):
        """Before disbursement: the schedule as it would run from today."""
        from groups.loans import loan_schedule

        if loan.status not in (LoanStatus.APPLIED, LoanStatus.APPROVED):
            return []
        planned = loan_schedule(
            principal=loan.principal,
            term_months=loan.term_months,
            monthly_rate=loan.monthly_rate,
            method=loan.interest_method,
            currency=loan.group.currency,
            start=local_today(loan.group.tz),
        )
        return PlannedInstalmentSerializer([{**p.__dict__, "amount": p.amount} for p in planned], many=True).data


class LoanBookSerializer(serializers.Serializer):
    currency = serializers.CharField()
    outstanding = AmountField()
    loans_open = serializers.IntegerField()
    in_arrears = serializers.ListField(child=serializers.IntegerField())
    in_arrears_amount = AmountField()
    written_off = AmountField()
    lendable = AmountField()
    waiting_for_approval = serializers.IntegerField()


class LoanListSerializer(serializers.Serializer):
    book = LoanBookSerializer()
    loans = LoanSerializer(many=True)


# --- recorded payments --------------------------------------------------------------------------------------


class RecordedPaymentInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, help_text="Who paid.")
    amount = AmountField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    receipt_number = serializers.CharField(max_length=40)
    paid_on = serializers.DateField(validators=SANE_DATE)
    applies_to = serializers.ChoiceField(choices=PaymentTarget.choices)
    target = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ROW_ID, help_text="The fine's or loan's id."
    )


class RecordedPaymentSerializer(serializers.ModelSerializer):
    amount = AmountField()
    applied_amount = AmountField(read_only=True, help_text="What it settled; the rest stays in the cash book.")
    user = serializers.UUIDField(source="member.user_id")

    class Meta:
        model = RecordedPayment
        fields = [
            "id",
            "member",
            "user",
            "amount",
            "method",
            "receipt_number",
            "paid_on",
            "applies_to",
            "target_id",
            "applied_amount",
            "status",
            "recorded_by",
            "decided_by",
            "rejection_reason",
            "created_at",
            "decided_at",
        ]


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class StatementQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, validators=SANE_DATE, help_text="First day (the group's time zone); default: 90 days ago."
    )
    end = serializers.DateField(required=False, validators=SANE_DATE, help_text="Last day, included; default: today.")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": ["The start comes after the end."]})
        return attrs


class StatementMovementSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    kind = serializers.CharField()
    description = serializers.CharField()
    amount = AmountField(help_text="The whole movement: e-money and cash together.")
    e_money = AmountField(help_text="The part that moved through Pamoja (wallet, pot).")
    cash = AmountField(help_text="The part officials took or handed out off-platform (the group's cash book).")
    balance = AmountField()


class StatementChannelBalanceSerializer(serializers.Serializer):
    opening = AmountField()
    closing = AmountField()


class StatementChannelsSerializer(serializers.Serializer):
    e_money = StatementChannelBalanceSerializer()
    cash = StatementChannelBalanceSerializer()


class StatementSerializer(serializers.Serializer):
    title = serializers.CharField()
    group = serializers.UUIDField()
    group_name = serializers.CharField()
    holder = serializers.CharField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    opening_balance = AmountField()
    closing_balance = AmountField()
    by_channel = StatementChannelsSerializer(help_text="Opening and closing balances split into e-money and cash.")
    movements = StatementMovementSerializer(many=True)
    totals = serializers.DictField(child=AmountField())
