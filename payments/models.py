"""The ledger (accounts, transactions, entries), the idempotency record, and the money-movement records."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from payments.money import CURRENCIES, CURRENCY_CHOICES

MONEY = {"max_digits": 20, "decimal_places": 2}


class TransactionStart(Now):
    """The database transaction's start time (PostgreSQL's CURRENT_TIMESTAMP); Django's Now() is per statement."""

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="CURRENT_TIMESTAMP", **extra_context)


class AccountKind(models.TextChoices):
    USER_WALLET = "user_wallet", "User wallet"
    GROUP_POT = "group_pot", "Group pot"
    GROUP_DEPOSIT_ESCROW = "group_deposit_escrow", "Group deposit escrow"
    LOAN_RECEIVABLE = "loan_receivable", "Loan receivable"
    LOYALTY_BUDGET = "loyalty_budget", "Loyalty budget"
    FEE_INCOME = "fee_income", "Fee income"
    PENALTY_INCOME = "penalty_income", "Penalty income"
    INTEREST_INCOME = "interest_income", "Interest income"
    PROVIDER_CLEARING = "provider_clearing", "Provider clearing"
    IN_FLIGHT = "in_flight", "In flight"
    SUSPENSE = "suspense", "Suspense"


# Accounts that hold someone's money: cached balance, never negative, locked by every posting that touches them.
GUARDED_KINDS = frozenset(
    {
        AccountKind.USER_WALLET,
        AccountKind.GROUP_POT,
        AccountKind.GROUP_DEPOSIT_ESCROW,
        AccountKind.LOAN_RECEIVABLE,
        AccountKind.LOYALTY_BUDGET,
    }
)


class LedgerAccount(models.Model):
    """One account of the double-entry ledger, in one currency.

    Guarded accounts keep `balance` = the sum of their entries (updated in the posting's own transaction, checked
    by `ledger_check`); house accounts keep 0 there and are summed on read, so no posting queues on their row.
    `owner_type`/`owner_id` name the owner without a foreign key: `payments` knows nothing of groups or loans.
    `code` tells apart house accounts of one kind (`paystack:in`, `mpesa:out`).
    """

    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    owner_type = models.CharField(max_length=32, blank=True, default="")
    owner_id = models.CharField(max_length=64, blank=True, default="")
    code = models.CharField(max_length=64, blank=True, default="")
    is_guarded = models.BooleanField()
    balance = models.DecimalField(**MONEY, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "currency", "owner_type", "owner_id", "code"], name="payments_account_unique"
            ),
            models.CheckConstraint(
                condition=Q(is_guarded=False) | Q(balance__gte=0), name="payments_guarded_balance_not_negative"
            ),
            models.CheckConstraint(condition=Q(is_guarded=True) | Q(balance=0), name="payments_house_balance_unused"),
            models.CheckConstraint(condition=Q(currency__in=CURRENCIES), name="payments_account_currency_known"),
        ]

    def __str__(self) -> str:
        owner = f" {self.owner_type}:{self.owner_id}" if self.owner_type else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.get_kind_display()}{owner}{code} ({self.currency})"


class TransactionKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    WITHDRAWAL_SETTLEMENT = "withdrawal_settlement", "Withdrawal settled"
    WITHDRAWAL_RETURN = "withdrawal_return", "Withdrawal returned"
    TRANSFER = "transfer", "Transfer"
    FEE = "fee", "Fee"
    CONTRIBUTION = "contribution", "Contribution"
    PAYOUT = "payout", "Payout"
    PENALTY = "penalty", "Penalty"
    DEPOSIT_HOLD = "deposit_hold", "Security deposit"
    LOAN = "loan", "Loan"
    BILL = "bill", "Bill payment"
    LOYALTY = "loyalty", "Loyalty"
    ADJUSTMENT = "adjustment", "Adjustment"
    REVERSAL = "reversal", "Reversal"


class LedgerTransaction(models.Model):
    """A balanced set of entries posted at once. Never changed: a mistake is undone by a reversal (once)."""

    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    idempotency_key = models.CharField(max_length=255, unique=True)
    reference = models.CharField(max_length=64, blank=True, default="", db_index=True)
    memo = models.CharField(max_length=255, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    # The database's transaction start time: on PostgreSQL the entry trigger uses it to refuse entries added to a
    # ledger transaction from any later database transaction.
    created_at = models.DateTimeField(db_default=TransactionStart(), db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="reversal"), name="payments_only_reversals_reverse"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntry(models.Model):
    """One signed amount on one account. Append-only (enforced by triggers on PostgreSQL)."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**MONEY)
    balance_after = models.DecimalField(**MONEY, null=True, blank=True, help_text="Guarded accounts only.")

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["account", "id"], name="payments_entry_account_id")]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="payments_entry_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.account_id}"


class IdempotencyRecord(models.Model):
    """The first answer to a money-moving request, replayed for any retry with the same key and body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="payments_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class TransferStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    REVERSED = "reversed", "Reversed"


class Transfer(models.Model):
    """A wallet-to-wallet transfer between two users, in one currency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers_sent")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers_received")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    note = models.CharField(max_length=140, blank=True, default="")
    status = models.CharField(max_length=16, choices=TransferStatus.choices, default=TransferStatus.COMPLETED)
    ledger_transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="transfer")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="payments_transfer_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.sender_id} → {self.recipient_id}"
