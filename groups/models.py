"""Savings groups: the group and its rules, its members and their roles, meetings and attendance, and messages.

The money of a group lives in `payments` ledger accounts (its pot, one deposit escrow per member); cycles,
contributions, penalties, payouts, loans, recorded payments and swaps of payout turns are in `contributions`.
"""

import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.model_fields import MONEY, PERCENT
from core.money import CURRENCIES, CURRENCY_CHOICES
from core.time_zones import validate_time_zone


class GroupKind(models.TextChoices):
    CHAMA = "chama", "Chama"
    AJO = "ajo", "Ajo / esusu"


class GroupScheme(models.TextChoices):
    ROTATING = "rotating", "Merry-go-round: each cycle's pot goes to one member in turn"
    SAVINGS = "savings", "Savings and investment: the pot grows, lends, and is shared out by savings"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class PayoutOrder(models.TextChoices):
    JOIN = "join", "Join order"
    CHAIR = "chair", "Set by the chair"
    RANDOM = "random", "Verifiable random draw"


class PenaltyKind(models.TextChoices):
    NONE = "none", "No penalty"
    FLAT = "flat", "Flat amount"
    PERCENT = "percent", "Percent of the contribution"


class PenaltyRecurrence(models.TextChoices):
    ONCE = "once", "Once per late contribution"
    DAILY = "daily", "Every day late, up to the cap"


class DefaultPolicy(models.TextChoices):
    DEPOSIT_COVERS = "deposit_covers", "The defaulter's deposit covers the pot"
    PAYOUT_WAITS = "payout_waits", "The payout waits for every contribution"


class Plan(models.TextChoices):
    FREE = "free", "Free"
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"


class PlanBilling(models.TextChoices):
    CHAIR_WALLET = "chair_wallet", "The chair's wallet"
    POT = "pot", "The group's pot"


class InterestMethod(models.TextChoices):
    FLAT = "flat", "Flat (on the original principal)"
    REDUCING = "reducing", "Reducing balance"


class GroupStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Settings that shape money: fixed once the group starts (and the deposit/fee amounts once anyone has paid them).
MONEY_SETTINGS = (
    "kind",
    "scheme",
    "share_out_date",
    "allow_top_ups",
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
    "allow_partial_payments",
    "welfare_contribution",
    "resolution_quorum_percent",
    "resolution_majority_percent",
)


class SavingsGroup(models.Model):
    """A chama or an ajo circle. Its pot and deposit escrows are ledger accounts owned by ("group", id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=8, choices=GroupKind.choices)
    scheme = models.CharField(max_length=8, choices=GroupScheme.choices, default=GroupScheme.ROTATING)
    share_out_date = models.DateField(
        null=True,
        blank=True,
        help_text="Savings groups: the first period's share-out day; each later period ends a year after the last.",
    )
    allow_top_ups = models.BooleanField(
        default=False, help_text="Savings groups: the contribution is a minimum and members may save more any time."
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    contribution_amount = models.DecimalField(**MONEY)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    start_date = models.DateField(help_text="The first contribution's due date, in the group's time zone.")
    time_zone = models.CharField(max_length=40, default="Africa/Nairobi", validators=[validate_time_zone])
    member_limit = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(2), MaxValueValidator(100)]
    )
    max_slots_per_member = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Payout turns one member may hold.",
    )
    payout_order = models.CharField(max_length=8, choices=PayoutOrder.choices, default=PayoutOrder.JOIN)
    grace_days = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(30)])
    penalty_kind = models.CharField(max_length=8, choices=PenaltyKind.choices, default=PenaltyKind.NONE)
    penalty_amount = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="A flat amount, or a percent of the contribution."
    )
    penalty_recurrence = models.CharField(
        max_length=8, choices=PenaltyRecurrence.choices, default=PenaltyRecurrence.ONCE
    )
    penalty_cap = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="The most one late contribution can be fined in all."
    )
    service_fee_percent = models.DecimalField(**PERCENT, default=Decimal("0"))
    security_deposit = models.DecimalField(**MONEY, default=Decimal("0"))
    registration_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    default_policy = models.CharField(max_length=16, choices=DefaultPolicy.choices, default=DefaultPolicy.PAYOUT_WAITS)
    rules = models.TextField(blank=True, default="")
    objectives = models.TextField(blank=True, default="")
    meeting_day = models.CharField(max_length=20, blank=True, default="")
    meeting_time = models.TimeField(null=True, blank=True)
    meeting_place = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=10, choices=GroupStatus.choices, default=GroupStatus.FORMING)
    invite_code = models.CharField(max_length=16, unique=True)
    paybill_account = models.CharField(
        max_length=8,
        unique=True,
        null=True,
        blank=True,
        help_text="The account number members pay the group's dues to on Pamoja's M-Pesa paybill (KES groups).",
    )
    seed = models.CharField(max_length=64, blank=True, default="", help_text="Secret until the group starts.")
    seed_commitment = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Completed or cancelled.")
    flagged_inactive_at = models.DateTimeField(null=True, blank=True)
    # Lending (chamas). A loan copies method and rate when it is applied for, so changes apply to new loans only.
    loan_interest_method = models.CharField(
        max_length=8, choices=InterestMethod.choices, default=InterestMethod.REDUCING
    )
    loan_monthly_rate = models.DecimalField(**PERCENT, default=Decimal("1.50"), help_text="Percent per month.")
    loan_limit_multiplier = models.DecimalField(
        max_digits=4, decimal_places=1, default=Decimal("3.0"), help_text="Borrowing limit: this times savings."
    )
    loan_max_term_months = models.PositiveSmallIntegerField(default=12, validators=[MaxValueValidator(60)])
    loan_late_fee = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Once per late instalment.")
    absence_fine = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Once per meeting missed.")
    plan = models.CharField(max_length=8, choices=Plan.choices, default=Plan.FREE)
    plan_billing = models.CharField(max_length=12, choices=PlanBilling.choices, default=PlanBilling.CHAIR_WALLET)
    plan_paid = models.CharField(
        max_length=8, choices=Plan.choices, default=Plan.FREE, help_text="The plan the paid month was billed for."
    )
    plan_paid_through = models.DateField(
        null=True, blank=True, help_text="The paid plan's limits hold to this day; after it, Free's (data is kept)."
    )
    allow_partial_payments = models.BooleanField(
        default=False, help_text="Members may pay any amount; it settles whole dues, oldest first, as it adds up."
    )
    welfare_contribution = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Each member's welfare-fund dues per cycle; 0: no welfare fund."
    )
    # Resolutions (spending the welfare fund or the pot): enough members must vote, and enough of them say yes.
    resolution_quorum_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Votes cast, as a percent of the active members, for a resolution to count.",
    )
    resolution_majority_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(50), MaxValueValidator(99)],
        help_text="A resolution passes when more than this percent of the votes cast say yes.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(contribution_amount__gt=0), name="groups_contribution_positive"),
            models.CheckConstraint(condition=Q(currency__in=CURRENCIES), name="groups_currency_known"),
            models.CheckConstraint(
                condition=Q(service_fee_percent__gte=0, service_fee_percent__lte=10), name="groups_fee_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(
                    security_deposit__gte=0,
                    registration_fee__gte=0,
                    penalty_amount__gte=0,
                    loan_late_fee__gte=0,
                    absence_fine__gte=0,
                    welfare_contribution__gte=0,
                    loan_monthly_rate__gte=0,
                    loan_monthly_rate__lte=10,
                ),
                name="groups_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(resolution_quorum_percent__gte=1, resolution_quorum_percent__lte=100)
                & Q(resolution_majority_percent__gte=50, resolution_majority_percent__lte=99),
                name="groups_resolution_rules_range",
            ),
            models.CheckConstraint(
                condition=Q(scheme="rotating", share_out_date__isnull=True, allow_top_ups=False)
                | Q(scheme="savings", kind="chama", share_out_date__gt=models.F("start_date")),
                name="groups_savings_scheme_shape",
            ),
            models.CheckConstraint(
                condition=Q(status="forming") | ~Q(seed_commitment="") | ~Q(payout_order="random"),
                name="groups_random_order_committed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def is_savings(self) -> bool:
        return self.scheme == GroupScheme.SAVINGS

    @property
    def dues(self) -> Decimal:
        """What each member pays before the group starts: the security deposit and the registration fee."""
        return self.security_deposit + self.registration_fee


class Role(models.TextChoices):
    CHAIR = "chair", "Chair"
    TREASURER = "treasurer", "Treasurer"
    SECRETARY = "secretary", "Secretary"
    MEMBER = "member", "Member"


OFFICIAL_ROLES = frozenset({Role.CHAIR, Role.TREASURER, Role.SECRETARY})


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left"


class Membership(models.Model):
    """A user in a group. `slots` is how many payout turns (and contributions per cycle) the member holds."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    slots = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(5)])
    chair_position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Where the chair placed this member (payout order `chair`)."
    )
    joined_at = models.DateTimeField(auto_now_add=True)
    dues_paid_at = models.DateTimeField(null=True, blank=True, help_text="Security deposit and registration fee.")
    deposit_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    registration_fee_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groups_one_membership_per_user"),
            models.UniqueConstraint(
                fields=["group"], condition=Q(role="chair", status="active"), name="groups_one_chair"
            ),
            models.CheckConstraint(condition=Q(slots__gte=1), name="groups_membership_slots_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"

    @property
    def is_official(self) -> bool:
        return self.status == MembershipStatus.ACTIVE and self.role in OFFICIAL_ROLES

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


class GroupMessage(models.Model):
    group = models.ForeignKey(SavingsGroup, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:40]


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="meetings")
    scheduled_for = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True, default="")
    link = models.URLField(blank=True, default="")
    agenda = models.TextField(blank=True, default="")
    minutes = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    created_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]

    def __str__(self) -> str:
        return f"{self.group} meeting {self.scheduled_for:%Y-%m-%d}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    APOLOGY = "apology", "Absent with apology"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="attendance")
    status = models.CharField(max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="groups_attendance_once")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.status}"
