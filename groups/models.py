"""Savings groups: the group and its rules, its members and their roles, swaps of payout turns, and messages.

The money of a group lives in `payments` ledger accounts (its pot, one deposit escrow per member); cycles,
contributions, penalties and payouts are in `contributions`.
"""

import uuid
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.money import CURRENCIES, CURRENCY_CHOICES

MONEY = {"max_digits": 20, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


def validate_time_zone(value: str) -> None:
    """An IANA zone name (Africa/Nairobi, Africa/Lagos, ...); not choices, so a tzdata update needs no migration."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known time zone, e.g. Africa/Nairobi.") from exc


class GroupKind(models.TextChoices):
    CHAMA = "chama", "Chama"
    AJO = "ajo", "Ajo / esusu"


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
)


class SavingsGroup(models.Model):
    """A chama or an ajo circle. Its pot and deposit escrows are ledger accounts owned by ("group", id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=8, choices=GroupKind.choices)
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
                    loan_monthly_rate__gte=0,
                    loan_monthly_rate__lte=10,
                ),
                name="groups_amounts_not_negative",
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


class SwapStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the other member"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class SwapRequest(models.Model):
    """One member asks another to exchange payout turns (cycle numbers); both must agree."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.CASCADE, related_name="swap_requests")
    requested_by = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    counterparty = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    from_cycle = models.PositiveSmallIntegerField(help_text="The requester's turn.")
    to_cycle = models.PositiveSmallIntegerField(help_text="The counterparty's turn.")
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(from_cycle=models.F("to_cycle")), name="groups_swap_two")]

    def __str__(self) -> str:
        return f"Swap of cycles {self.from_cycle} and {self.to_cycle}"


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


class LoanStatus(models.TextChoices):
    APPLIED = "applied", "Waiting for approvals"
    APPROVED = "approved", "Approved, not yet disbursed"
    DISBURSED = "disbursed", "Disbursed, being repaid"
    REPAID = "repaid", "Repaid"
    REJECTED = "rejected", "Rejected"
    WRITTEN_OFF = "written_off", "Written off"


class Loan(models.Model):
    """A member's loan from the group's pot. Its outstanding principal is a guarded ledger account owned by
    ("loan", id), balanced by a house account, so the books show what the members owe the groups."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="loans")
    borrower = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="loans")
    principal = models.DecimalField(**MONEY)
    term_months = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(60)])
    purpose = models.CharField(max_length=200)
    interest_method = models.CharField(max_length=8, choices=InterestMethod.choices)
    monthly_rate = models.DecimalField(**PERCENT)
    status = models.CharField(max_length=12, choices=LoanStatus.choices, default=LoanStatus.APPLIED)
    applied_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    disbursed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="groups_loan_principal_positive"),
            models.CheckConstraint(
                condition=Q(monthly_rate__gte=0, monthly_rate__lte=10), name="groups_loan_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Loan {self.pk}: {self.principal} to {self.borrower_id}"


class InstalmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    WAIVED = "waived", "Interest waived (repaid early) or written off"


class LoanInstalment(models.Model):
    """One equal instalment. `interest` may drop when a reducing-balance loan is repaid early."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    late_fee = models.DecimalField(**MONEY, default=Decimal("0"))
    principal_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    interest_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    late_fee_paid = models.DecimalField(**MONEY, default=Decimal("0"))
    status = models.CharField(max_length=8, choices=InstalmentStatus.choices, default=InstalmentStatus.PENDING)

    class Meta:
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="groups_instalment_number_unique"),
            models.CheckConstraint(
                condition=Q(principal_paid__lte=models.F("principal"), interest_paid__lte=models.F("interest"))
                & Q(late_fee_paid__lte=models.F("late_fee")),
                name="groups_instalment_not_overpaid",
            ),
        ]

    def __str__(self) -> str:
        return f"Loan {self.loan_id} instalment {self.number}"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


class GuaranteeStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted (held on the guarantor's savings)"
    DECLINED = "declined", "Declined"
    RELEASED = "released", "Released"


class LoanGuarantee(models.Model):
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="guarantees")
    guarantor = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="guarantees")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=GuaranteeStatus.choices, default=GuaranteeStatus.REQUESTED)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "guarantor"], name="groups_one_guarantee_per_guarantor"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="groups_guarantee_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.guarantor_id} guarantees {self.amount} of loan {self.loan_id}"


class DecisionKind(models.TextChoices):
    APPROVE = "approve", "Approve the loan"
    REJECT = "reject", "Reject the loan"
    WRITE_OFF = "write_off", "Write the loan off"


class LoanDecision(models.Model):
    """An official's vote on a loan; two approvals (or two write-off votes) by officials other than the borrower
    carry it. One vote per official per kind of decision."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="decisions")
    official = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=DecisionKind.choices)
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "official", "kind"], name="groups_one_vote_per_official"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.official_id} on loan {self.loan_id}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash at a meeting"
    MPESA_PAYBILL = "mpesa_paybill", "M-Pesa paybill"
    BANK = "bank", "Bank deposit"


class PaymentTarget(models.TextChoices):
    CONTRIBUTION = "contribution", "Contributions (and penalties, oldest first)"
    FINE = "fine", "A fine or penalty"
    LOAN = "loan", "A loan repayment"
    CASH_PAYOUT = "cash_payout", "Cash handed to the member from the group's cash book"


class RecordedPaymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second official"
    CONFIRMED = "confirmed", "Confirmed and posted"
    REJECTED = "rejected", "Rejected"


class RecordedPayment(models.Model):
    """Money an official took outside the app (cash, the group's own paybill or bank account), or handed out of the
    group's cash book, recorded by one official and posted only when a second one confirms it (maker-checker).
    It posts to the group's cash book, never to e-money. A receipt number posts at most once per group."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="recorded_payments")
    member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="recorded_payments")
    amount = models.DecimalField(**MONEY)
    applied_amount = models.DecimalField(
        **MONEY, default=0, help_text="What it settled once confirmed; the rest stays in the cash book, unapplied."
    )
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    receipt_number = models.CharField(max_length=40)
    paid_on = models.DateField()
    applies_to = models.CharField(max_length=12, choices=PaymentTarget.choices)
    target_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="The fine or loan, when one.")
    status = models.CharField(
        max_length=10, choices=RecordedPaymentStatus.choices, default=RecordedPaymentStatus.PENDING
    )
    recorded_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejection_reason = models.CharField(max_length=200, blank=True, default="")
    ledger_transaction = models.ForeignKey(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "receipt_number"],
                condition=~Q(status="rejected"),
                name="groups_receipt_posts_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="groups_recorded_payment_positive"),
            models.CheckConstraint(
                condition=Q(applied_amount__gte=0, applied_amount__lte=models.F("amount")),
                name="groups_recorded_payment_applied_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("recorded_by")), name="groups_maker_is_not_checker"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(ledger_transaction__isnull=False),
                name="groups_confirmed_payment_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.receipt_number}: {self.amount}"
