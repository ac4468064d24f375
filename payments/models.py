"""The ledger (accounts, transactions, entries), the idempotency record, and the money-movement records."""

import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from config.encryption import EncryptedTextField
from core.model_fields import MONEY
from core.money import CURRENCIES, CURRENCY_CHOICES

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType


class TransactionStart(Now):
    """The database transaction's start time (PostgreSQL's CURRENT_TIMESTAMP); Django's Now() is per statement."""

    def as_postgresql(
        self, compiler: "SQLCompiler", connection: "BaseDatabaseWrapper", **extra_context: Any
    ) -> "_AsSqlType":
        return self.as_sql(compiler, connection, template="CURRENT_TIMESTAMP", **extra_context)


class AccountKind(models.TextChoices):
    USER_WALLET = "user_wallet", "User wallet"
    GROUP_POT = "group_pot", "Group pot"
    GROUP_DEPOSIT_ESCROW = "group_deposit_escrow", "Group deposit escrow"
    LOAN_RECEIVABLE = "loan_receivable", "Loan receivable"
    LOYALTY_BUDGET = "loyalty_budget", "Loyalty budget"
    LOYALTY_RESERVED = "loyalty_reserved", "Loyalty budget reserved (issued rewards not yet redeemed)"
    LOYALTY_SPENT = "loyalty_spent", "Loyalty budget spent (redeemed rewards)"
    GROUP_CASH_BOOK = "group_cash_book", "Group cash book (off-platform money officials hold)"
    FEE_INCOME = "fee_income", "Fee income"
    PENALTY_INCOME = "penalty_income", "Penalty income"
    INTEREST_INCOME = "interest_income", "Interest income"
    LOANS_ISSUED = "loans_issued", "Loans issued (contra to loans receivable)"
    PROVIDER_CLEARING = "provider_clearing", "Provider clearing"
    IN_FLIGHT = "in_flight", "In flight"
    SUSPENSE = "suspense", "Suspense"
    OFF_PLATFORM = "off_platform", "Off-platform money (cash, a group's own bank or paybill)"
    LOYALTY_FUNDING = "loyalty_funding", "Loyalty funding (what a merchant has put into its budgets)"
    GROUP_WELFARE = "group_welfare", "Group welfare fund"
    GROUP_MEMBER_CREDIT = "group_member_credit", "A member's part-payments held by the group until they cover a due"


# Accounts that hold someone's money: cached balance, never negative, locked by every posting that touches them.
GUARDED_KINDS = frozenset(
    {
        AccountKind.USER_WALLET,
        AccountKind.GROUP_POT,
        AccountKind.GROUP_DEPOSIT_ESCROW,
        AccountKind.LOAN_RECEIVABLE,
        AccountKind.LOYALTY_BUDGET,
        AccountKind.LOYALTY_RESERVED,
        AccountKind.LOYALTY_SPENT,
        AccountKind.GROUP_CASH_BOOK,
        AccountKind.GROUP_WELFARE,
        AccountKind.GROUP_MEMBER_CREDIT,
    }
)

# Money outside Pamoja: a group's cash book and its counterpart. It never shares a posting with e-money.
OFF_PLATFORM_KINDS = frozenset({AccountKind.GROUP_CASH_BOOK, AccountKind.OFF_PLATFORM})

# What off-platform money may meet in one posting: itself, and a loan's receivable (a loan repaid in cash).
OFF_PLATFORM_PARTNERS = OFF_PLATFORM_KINDS | {AccountKind.LOAN_RECEIVABLE, AccountKind.LOANS_ISSUED}


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
    WELFARE = "welfare", "Welfare fund"
    GROUP_EXPENSE = "group_expense", "Group spending by resolution"
    BILL = "bill", "Bill payment"
    BILL_SETTLEMENT = "bill_settlement", "Bill payment settled"
    BILL_RETURN = "bill_return", "Bill payment returned"
    LOYALTY = "loyalty", "Loyalty"
    LOYALTY_TOPUP = "loyalty_topup", "Loyalty budget top-up"
    LOYALTY_RESERVE = "loyalty_reserve", "Loyalty reward reserved"
    LOYALTY_CHARGE = "loyalty_charge", "Loyalty reward redeemed"
    LOYALTY_RELEASE = "loyalty_release", "Loyalty reward released"
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
        permissions = [("reverse_ledgertransaction", "Can reverse ledger transactions")]
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
    device_hash = models.CharField(
        max_length=64, blank=True, default="", help_text="sha256 of the sender's X-Device-Id; empty when none."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        # the KYC daily limit sums a sender's transfers since midnight on every money request; velocity limits
        # count them per device too
        indexes = [
            models.Index(fields=["sender", "created_at"], name="payments_transfer_sender_day"),
            models.Index(fields=["device_hash", "created_at"], name="payments_transfer_device_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(sender=F("recipient")), name="payments_transfer_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.sender_id} → {self.recipient_id}"


class Provider(models.TextChoices):
    PAYSTACK = "paystack", "Paystack"
    FLUTTERWAVE = "flutterwave", "Flutterwave"
    MPESA = "mpesa", "M-Pesa"


# Providers that pay out to bank accounts (M-Pesa pays phone numbers).
BANK_PROVIDERS = [
    (Provider.PAYSTACK.value, Provider.PAYSTACK.label),
    (Provider.FLUTTERWAVE.value, Provider.FLUTTERWAVE.label),
]


class ChargeStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Charge(models.Model):
    """A deposit into a wallet: pending until the provider's webhook (or our verify call) settles it, once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charges")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.PENDING)
    phone_number = models.CharField(max_length=16, blank=True, default="")
    authorization_url = models.URLField(max_length=500, blank=True, default="")
    provider_reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    receipt_code = models.CharField(
        max_length=32, blank=True, default="", db_index=True, help_text="The M-Pesa receipt the payer sees."
    )
    callback_token = models.CharField(max_length=64, unique=True)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    ledger_transaction = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="charge"
    )
    purpose = models.CharField(
        max_length=32, blank=True, default="", help_text="What the money is for once it lands (e.g. `contribution`)."
    )
    purpose_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_charge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(ledger_transaction__isnull=False),
                name="payments_charge_succeeded_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"


class BankAccount(models.Model):
    """A payout destination. The account name comes from the provider; the number is shown masked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bank_accounts")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    bank_code = models.CharField(max_length=32)
    bank_name = models.CharField(max_length=120, blank=True, default="")
    account_number = EncryptedTextField(help_text="Encrypted at rest (FIELD_ENCRYPTION_KEYS).")
    account_number_hash = models.CharField(max_length=64, help_text="Keyed hash of the number, for uniqueness.")
    last4 = models.CharField(max_length=4)
    account_name = models.CharField(max_length=200)
    recipient_code = models.CharField(max_length=100, blank=True, default="")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_primary", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "bank_code", "account_number_hash"], name="payments_bank_account_unique"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_primary=True), name="payments_one_primary_bank_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name or self.bank_code} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return f"******{self.last4}"


class WithdrawalStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"
    # in flight like `processing`, but not sent to the provider until staff release it (or reject it: money back)
    HELD = "held", "Held for review"


class Withdrawal(models.Model):
    """Money out to a bank account or an M-Pesa number: held in flight at once, then settled or returned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    amount = models.DecimalField(**MONEY)
    fee = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    bank_account = models.ForeignKey(BankAccount, null=True, blank=True, on_delete=models.PROTECT)
    phone_number = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=16, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PROCESSING)
    provider_reference = models.CharField(max_length=100, blank=True, default="", db_index=True)
    receipt_code = models.CharField(
        max_length=32, blank=True, default="", db_index=True, help_text="The M-Pesa receipt the payer sees."
    )
    callback_token = models.CharField(max_length=64, unique=True)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    submitted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the transfer was sent to the provider; set before the call."
    )
    hold_transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="withdrawal_hold")
    settle_transaction = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawal_settle"
    )
    return_transaction = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawal_return"
    )
    device_hash = models.CharField(
        max_length=64, blank=True, default="", help_text="sha256 of the requester's X-Device-Id; empty when none."
    )
    retry_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retry",
        help_text="The failed withdrawal staff sent again as this one (once each).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # the KYC daily limit sums a user's withdrawals since midnight on every money request; velocity limits
        # count them per device too
        indexes = [
            models.Index(fields=["user", "created_at"], name="payments_withdrawal_user_day"),
            models.Index(fields=["device_hash", "created_at"], name="payments_withdrawal_device_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(fee__gte=0), name="payments_withdrawal_amounts"),
            models.CheckConstraint(
                condition=Q(bank_account__isnull=False) | ~Q(phone_number=""), name="payments_withdrawal_destination"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} {self.currency} ({self.status})"


class PaymentReview(models.Model):
    """Something finance staff must look at: a webhook whose amount or currency differs from our record."""

    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    withdrawal = models.ForeignKey(Withdrawal, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    reason = models.CharField(max_length=255)
    details = models.JSONField(default=dict)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.reason


class VelocityRefusal(models.Model):
    """A transfer or withdrawal refused by a velocity limit (payments.services.velocity), for staff to see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="velocity_refusals")
    kind = models.CharField(max_length=16)  # transfer | withdrawal
    window = models.CharField(max_length=8)  # hour | day
    scope = models.CharField(max_length=8)  # user | device
    limit = models.CharField(max_length=16)  # count | amount
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    device_hash = models.CharField(max_length=64, blank=True, default="")
    retry_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} refused ({self.scope} {self.limit} per {self.window})"


class ReconciliationDecision(models.Model):
    """What the hourly reconciliation asked the provider about a pending charge or withdrawal, and did."""

    charge = models.ForeignKey(Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    withdrawal = models.ForeignKey(
        Withdrawal, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    provider_status = models.CharField(max_length=16)
    decision = models.CharField(max_length=64)
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.decision} ({self.provider_status})"


class SandboxPayment(models.Model):
    """The offline sandbox's own state for a charge or transfer it was asked to make (development only)."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    kind = models.CharField(max_length=16)  # charge | transfer
    reference = models.CharField(max_length=64)
    provider_reference = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, default="pending")
    callback_url = models.URLField(max_length=500, blank=True, default="")
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind", "reference"], name="payments_sandbox_unique")
        ]

    def __str__(self) -> str:
        return f"sandbox {self.provider} {self.kind} {self.reference} ({self.status})"


class Card(models.Model):
    """A provider's reusable card authorization. Never a card number: only what the provider lets us keep."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    authorization_code = models.CharField(max_length=100)
    signature = models.CharField(max_length=100, help_text="The provider's fingerprint of the card.")
    last4 = models.CharField(max_length=4)
    brand = models.CharField(max_length=32, blank=True, default="")
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    bank = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "provider", "signature"], name="payments_card_once_per_user"),
            models.CheckConstraint(condition=Q(exp_month__gte=1, exp_month__lte=12), name="payments_card_month"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"
