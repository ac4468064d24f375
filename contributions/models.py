"""Cycles, contributions, penalties and payouts of a savings group.

Every money movement here is a ledger posting (`payments.services.post_transaction`); these rows say what each
posting was for. The database enforces the "exactly once" rules: one payout per cycle, one penalty per
contribution per period, one reminder per contribution per kind.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.model_fields import MONEY, PERCENT
from groups.models import InterestMethod, Membership, SavingsGroup


class CycleStatus(models.TextChoices):
    OPEN = "open", "Collecting"
    PAID_OUT = "paid_out", "Paid out"


class Cycle(models.Model):
    """One turn of the rotation: everyone contributes by `due_date` and `recipient` takes the pot. A savings group's
    cycles have no recipient: the contributions stay in the pot until the share-out."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField(help_text="In the group's time zone.")
    recipient = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="payout_cycles"
    )
    recipient_slot = models.PositiveSmallIntegerField(default=1, help_text="Which of the recipient's turns this is.")
    status = models.CharField(max_length=10, choices=CycleStatus.choices, default=CycleStatus.OPEN)

    class Meta:
        ordering = ["group", "number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="contributions_cycle_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="contributions_cycle_number_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_date"], name="contributions_cycle_due")]

    def __str__(self) -> str:
        return f"{self.group} cycle {self.number}"


class ContributionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    LATE = "late", "Late"
    PAID = "paid", "Paid"
    COVERED = "covered", "Covered by the member's deposit (still owed)"


UNPAID_STATUSES = (ContributionStatus.PENDING, ContributionStatus.LATE)
OWED_STATUSES = (ContributionStatus.PENDING, ContributionStatus.LATE, ContributionStatus.COVERED)


class SettledBy(models.TextChoices):
    WALLET = "wallet", "Wallet"
    MPESA = "mpesa", "M-Pesa"
    CARD = "card", "Saved card"
    DEPOSIT = "deposit", "Security deposit"
    PAYOUT = "payout", "Deducted from the member's payout"
    RECORDED = "recorded", "Paid to an official (cash, paybill), confirmed by a second"


class Contribution(models.Model):
    """What one member slot owes one cycle. A covered contribution was paid into the pot from the member's
    deposit; the member still owes it (paying it refills the deposit)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="contributions")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="contributions")
    slot = models.PositiveSmallIntegerField(default=1)
    amount = models.DecimalField(**MONEY)
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=ContributionStatus.choices, default=ContributionStatus.PENDING)
    settled_by = models.CharField(max_length=10, choices=SettledBy.choices, blank=True, default="")
    paid_at = models.DateTimeField(null=True, blank=True)
    covered_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.ForeignKey(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share_out = models.ForeignKey(
        "ShareOut",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
        help_text="Savings groups: the share-out that returned this saving.",
    )

    class Meta:
        ordering = ["due_date", "cycle__number", "slot", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "membership", "slot"], name="contributions_one_per_slot"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="contributions_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "late"]) | Q(ledger_transaction__isnull=False),
                name="contributions_settled_has_posting",
            ),
        ]
        indexes = [models.Index(fields=["membership", "status", "due_date"], name="contributions_owed")]

    def __str__(self) -> str:
        return f"{self.membership.user} → {self.cycle}"


class PenaltyStatus(models.TextChoices):
    OWED = "owed", "Owed"
    PAID = "paid", "Paid"
    WAIVED = "waived", "Waived"


class PenaltyCause(models.TextChoices):
    LATE_CONTRIBUTION = "late_contribution", "Late contribution"
    ABSENCE = "absence", "Missed meeting"
    FINE = "fine", "Fine levied by an official"


class Penalty(models.Model):
    """What a member owes besides contributions: a late fee (at most one per contribution per period: period 1 for
    a one-off penalty, day N late for a daily one), an absence fine (one per meeting), or a fine an official levied
    with a reason. Settled before contributions by any payment."""

    kind = models.CharField(max_length=20, choices=PenaltyCause.choices, default=PenaltyCause.LATE_CONTRIBUTION)
    contribution = models.ForeignKey(
        Contribution, null=True, blank=True, on_delete=models.PROTECT, related_name="penalties"
    )
    meeting = models.ForeignKey("groups.Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="penalties")
    period = models.PositiveIntegerField(default=1)
    reason = models.CharField(max_length=200, blank=True, default="")
    levied_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=8, choices=PenaltyStatus.choices, default=PenaltyStatus.OWED)
    settled_by = models.CharField(max_length=10, choices=SettledBy.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.ForeignKey(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "penalties"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contribution", "period"], name="contributions_one_penalty_per_period"),
            models.UniqueConstraint(
                fields=["meeting", "membership"],
                condition=Q(kind="absence"),
                name="contributions_one_absence_fine_per_meeting",
            ),
            models.CheckConstraint(
                condition=(Q(kind="late_contribution") & Q(contribution__isnull=False))
                | (Q(kind="absence") & Q(meeting__isnull=False))
                | Q(kind="fine"),
                name="contributions_penalty_has_its_cause",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="contributions_penalty_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(ledger_transaction__isnull=False), name="contributions_penalty_posted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} ({self.status})"


class Payout(models.Model):
    """The pot of one cycle paid to its recipient: gross less the service fee and the recipient's arrears."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="payout")
    recipient = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="payouts")
    gross_amount = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY)
    deductions = models.DecimalField(**MONEY, help_text="The recipient's arrears settled from the pot.")
    amount = models.DecimalField(**MONEY, help_text="What reached the recipient's wallet.")
    cash_amount = models.DecimalField(
        **MONEY,
        default=0,
        help_text="Shares paid in cash to an official: in the cash book, handed over as a recorded cash payout.",
    )
    details = models.JSONField(default=list, blank=True, help_text="Each deduction: what it settled and how much.")
    ledger_transaction = models.OneToOneField(
        "payments.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The e-money posting; none when every share was paid in cash.",
    )
    paid_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0, fee__gte=0, deductions__gte=0, cash_amount__gte=0),
                name="contributions_payout_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    gross_amount=models.F("amount") + models.F("fee") + models.F("deductions") + models.F("cash_amount")
                ),
                name="contributions_payout_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(ledger_transaction__isnull=False) | Q(amount=0, fee=0, deductions=0),
                name="contributions_payout_posted_unless_all_cash",
            ),
        ]

    def __str__(self) -> str:
        return f"Payout of cycle {self.cycle_id}: {self.amount}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Due in two days"
    DUE_TODAY = "due_today", "Due today"


class ContributionReminder(models.Model):
    """A reminder already sent, so the reminder job sends each one once however often it runs."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contribution", "kind"], name="contributions_one_reminder_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.contribution_id}"


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
        db_table = "groups_swaprequest"  # created by groups before the model moved here
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(from_cycle=models.F("to_cycle")), name="groups_swap_two")]

    def __str__(self) -> str:
        return f"Swap of cycles {self.from_cycle} and {self.to_cycle}"


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
        db_table = "groups_loan"  # created by groups before the model moved here
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
        db_table = "groups_loaninstalment"  # created by groups before the model moved here
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
        db_table = "groups_loanguarantee"  # created by groups before the model moved here
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
        db_table = "groups_loandecision"  # created by groups before the model moved here
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
        db_table = "groups_recordedpayment"  # created by groups before the model moved here
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


class WelfareContribution(models.Model):
    """A member's welfare-fund dues for one cycle (the group's `welfare_contribution`), paid once from the wallet
    into the group's welfare account: a fund kept apart from the pot, spent only by resolution."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="welfare_contributions")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY)
    ledger_transaction = models.OneToOneField("payments.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cycle__number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "cycle"], name="welfare_once_per_cycle"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="welfare_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"welfare {self.amount} by {self.membership_id} for cycle {self.cycle_id}"


class ResolutionKind(models.TextChoices):
    WELFARE_PAYOUT = "welfare_payout", "A payout from the welfare fund to a member"
    GROUP_EXPENSE = "group_expense", "Spending from the pot, paid to a member's wallet"
    SHARE_OUT = "share_out", "Sharing out the pot now (savings groups)"
    RULE_CHANGE = "rule_change", "Changing the group's written rules (its constitution)"


MONEYLESS_RESOLUTIONS = (ResolutionKind.SHARE_OUT, ResolutionKind.RULE_CHANGE)


class ResolutionStatus(models.TextChoices):
    OPEN = "open", "Open for votes"
    PASSED = "passed", "Passed, to be paid"
    FAILED = "failed", "Failed"
    EXECUTED = "executed", "Passed and paid"


class Resolution(models.Model):
    """A proposal to spend the group's money, put to the members' vote. It passes with the group's quorum and
    majority; then an official other than the proposer executes it, and the money moves once."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="resolutions")
    kind = models.CharField(max_length=16, choices=ResolutionKind.choices)
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="None for a share-out: the whole pot.")
    beneficiary = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="None for a share-out."
    )
    reason = models.CharField(max_length=500)
    new_rules = models.TextField(
        blank=True, default="", max_length=10000, help_text="A rule change: the group's rules as they would read."
    )
    proposed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    eligible_voters = models.PositiveSmallIntegerField(help_text="Active members when it was proposed.")
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ResolutionStatus.choices, default=ResolutionStatus.OPEN)
    yes_votes = models.PositiveSmallIntegerField(default=0)
    no_votes = models.PositiveSmallIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)
    executed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    executed_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.OneToOneField(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MONEYLESS_RESOLUTIONS, amount__isnull=True, beneficiary__isnull=True)
                | (~Q(kind__in=MONEYLESS_RESOLUTIONS) & Q(amount__gt=0, beneficiary__isnull=False)),
                name="resolution_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind="rule_change") ^ Q(new_rules=""), name="resolution_rules_only_for_a_rule_change"
            ),
            models.CheckConstraint(
                condition=Q(status="executed", ledger_transaction__isnull=False, executed_by__isnull=False)
                | Q(status="executed", kind="rule_change", executed_by__isnull=False, ledger_transaction__isnull=True)
                | (~Q(status="executed") & Q(ledger_transaction__isnull=True)),
                name="resolution_paid_once_executed",
            ),
            models.CheckConstraint(
                condition=Q(executed_by__isnull=True) | ~Q(executed_by=models.F("proposed_by")),
                name="resolution_maker_is_not_checker",
            ),
        ]
        indexes = [models.Index(fields=["closes_at"], condition=Q(status="open"), name="resolution_open_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount or ''} ({self.status})"


class VoteChoice(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"


class ResolutionVote(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="votes")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=3, choices=VoteChoice.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["resolution", "membership"], name="resolution_one_vote_each")]

    def __str__(self) -> str:
        return f"{self.choice} by {self.membership_id} on {self.resolution_id}"


class PlanCharge(models.Model):
    """A month of a paid plan, billed once: the unique (group, period) is what makes the monthly job safe to rerun."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="plan_charges")
    period = models.CharField(max_length=7, help_text="The month paid for, YYYY-MM.")
    plan = models.CharField(max_length=8)
    amount = models.DecimalField(**MONEY)
    ledger_transaction = models.OneToOneField("payments.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "period"], name="plan_charged_once_a_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="plan_charge_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.plan} {self.period}"


class SavingsTopUp(models.Model):
    """Savings beyond the contribution, in a savings group that takes them: from the member's wallet into the pot,
    counted in the member's savings from the day paid until the share-out returns it."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="top_ups")
    amount = models.DecimalField(**MONEY)
    ledger_transaction = models.OneToOneField("payments.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(auto_now_add=True)
    share_out = models.ForeignKey("ShareOut", null=True, blank=True, on_delete=models.PROTECT, related_name="top_ups")

    class Meta:
        ordering = ["paid_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_amount_positive")]

    def __str__(self) -> str:
        return f"top-up {self.amount} by {self.membership_id}"


class ShareOut(models.Model):
    """A savings group's pot shared out among its savers, in one posting: each member gets their savings back and
    the earnings (the pot beyond the savings: interest, fines, fees) in proportion to their share-months. At the end
    of a period (`as_of` is the scheduled day) or by a passed resolution; one per period number."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="share_outs")
    number = models.PositiveSmallIntegerField(help_text="The period shared out: 1, 2, ...")
    as_of = models.DateField(help_text="The day savings stop earning share-months, in the group's time zone.")
    pot = models.DecimalField(**MONEY, help_text="What the pot held, all shared out.")
    savings = models.DecimalField(**MONEY, help_text="The members' savings returned.")
    earnings = models.DecimalField(**MONEY, help_text="The pot less the savings; negative when the pot lost money.")
    fee = models.DecimalField(**MONEY, help_text="Pamoja's service fee on what left the pot.")
    resolution = models.OneToOneField(
        "Resolution", null=True, blank=True, on_delete=models.PROTECT, related_name="share_out"
    )
    ledger_transaction = models.OneToOneField("payments.LedgerTransaction", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="share_out_once_per_period"),
            models.CheckConstraint(condition=Q(number__gte=1), name="share_out_number_positive"),
            models.CheckConstraint(
                condition=Q(pot__gte=0, savings__gte=0, fee__gte=0), name="share_out_amounts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} share-out {self.number}"


class ShareOutLine(models.Model):
    """One member's part of a share-out and how it was computed."""

    share_out = models.ForeignKey(ShareOut, on_delete=models.CASCADE, related_name="lines")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="share_out_lines")
    savings = models.DecimalField(**MONEY)
    share_months = models.DecimalField(
        max_digits=24, decimal_places=2, help_text="The sum of each saving times the whole months it was held."
    )
    earnings = models.DecimalField(**MONEY, help_text="Their part of the earnings (negative: of the loss).")
    gross = models.DecimalField(**MONEY, help_text="Savings plus earnings.")
    fee = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY, help_text="What reached the member's wallet.")

    class Meta:
        ordering = ["share_out", "membership_id"]
        constraints = [
            models.UniqueConstraint(fields=["share_out", "membership"], name="share_out_line_once"),
            models.CheckConstraint(
                condition=Q(amount=models.F("gross") - models.F("fee")), name="share_out_line_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.amount}"


class PayoutDestinationKind(models.TextChoices):
    WALLET = "wallet", "My Pamoja wallet"
    BANK = "bank", "A bank account I linked"
    MPESA = "mpesa", "An M-Pesa number"


class PayoutDestination(models.Model):
    """Where a member's payouts and share-outs from this group go. Each lands in the wallet first (the ledger's one
    way in) and, for a bank account or M-Pesa, continues at once as a withdrawal from it. None: the wallet."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="payout_destination")
    kind = models.CharField(max_length=8, choices=PayoutDestinationKind.choices, default=PayoutDestinationKind.WALLET)
    bank_account = models.ForeignKey(
        "payments.BankAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # an unlinked account sends payouts back to the wallet
        related_name="+",
    )
    phone_number = models.CharField(max_length=20, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="wallet", bank_account__isnull=True, phone_number="")
                | Q(kind="bank", bank_account__isnull=False, phone_number="")
                | (Q(kind="mpesa", bank_account__isnull=True) & ~Q(phone_number="")),
                name="payout_destination_shape",
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} → {self.kind}"


class PaybillStatus(models.TextChoices):
    MATCHED = "matched", "Matched to a member and applied"
    SUSPENSE = "suspense", "Waiting in suspense for an official to assign"
    PROPOSED = "proposed", "Assignment proposed, waiting for a second official"
    ASSIGNED = "assigned", "Assigned by two officials and applied"


class PaybillPayment(models.Model):
    """A payment into Pamoja's M-Pesa paybill (Daraja C2B confirmation), once per M-Pesa receipt (`trans_id`). The
    money is Pamoja's from the moment M-Pesa confirms it: it is posted to suspense at once, and from there to the
    member it names (the account reference `<group account>` with the member's phone, or `<group account>-<member
    number>`), where it settles their oldest dues up to its amount. One that names no member waits in suspense for
    two officials (one proposes, another confirms), never lost."""

    trans_id = models.CharField(max_length=32, unique=True, help_text="The M-Pesa receipt code.")
    short_code = models.CharField(max_length=16)
    bill_ref = models.CharField(max_length=40, blank=True, default="", help_text="The account number the payer typed.")
    msisdn = models.CharField(max_length=32, blank=True, default="")
    payer_name = models.CharField(max_length=120, blank=True, default="")
    amount = models.DecimalField(**MONEY)
    paid_at = models.DateTimeField(help_text="M-Pesa's transaction time.")
    group = models.ForeignKey(
        SavingsGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="paybill_payments"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="paybill_payments"
    )
    status = models.CharField(max_length=10, choices=PaybillStatus.choices)
    proposed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_transaction = models.OneToOneField(
        "payments.LedgerTransaction", on_delete=models.PROTECT, related_name="+", help_text="Clearing to suspense."
    )
    applied_transaction = models.OneToOneField(
        "payments.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Suspense to the member's wallet.",
    )
    settled = models.DecimalField(**MONEY, default=Decimal("0"), help_text="How much of it settled dues.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="paybill_amount_positive"),
            models.CheckConstraint(
                condition=(Q(status__in=["matched", "assigned"]) & Q(applied_transaction__isnull=False))
                | (Q(status__in=["suspense", "proposed"]) & Q(applied_transaction__isnull=True)),
                name="paybill_applied_once_matched",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("proposed_by")),
                name="paybill_maker_is_not_checker",
            ),
        ]
        indexes = [models.Index(fields=["group", "status"], name="paybill_waiting")]

    def __str__(self) -> str:
        return f"{self.trans_id}: {self.amount} ({self.status})"
