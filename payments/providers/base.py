"""The one small interface every payment provider adapter speaks, and the values it exchanges.

Only the vendor packages (`<vendor>/adapter.py`; the sandboxes only to our own endpoints) speak HTTP. Amounts cross
this boundary as Decimal in major units with their currency; each adapter converts to the provider's own units.
Services never see a provider's raw payload except as `raw`, stored for audit.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from core.errors import ApplicationError, ProviderUnavailableError


class PaymentStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REVERSED = "reversed"  # a transfer that succeeded and was later returned by the provider


class EventKind(StrEnum):
    CHARGE = "charge"
    TRANSFER = "transfer"


class ProviderError(ProviderUnavailableError):
    """The provider could not be reached, timed out, or answered with something we cannot use (retry later)."""


class ProviderRejectedError(ApplicationError):
    """The provider understood the request and refused it (bad account number, unsupported bank, ...)."""

    code = "provider_rejected"
    message = "The payment provider refused the request."
    status_code = 422


class WebhookSignatureError(Exception):
    """A webhook whose signature (or secret hash) is missing or wrong: answer 401, change nothing."""


@dataclass(frozen=True)
class ChargeRequest:
    reference: str  # ours, unique; the provider echoes it back
    amount: Decimal
    currency: str
    email: str
    callback_url: str  # card checkouts: where the customer returns; M-Pesa: where the STK result is POSTed
    phone_number: str | None = None  # E.164; required for M-Pesa
    description: str = "Pamoja wallet deposit"
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeInitiated:
    reference: str
    status: PaymentStatus  # PENDING, or FAILED when the provider refused at once
    authorization_url: str | None = None  # card/bank checkouts
    provider_reference: str | None = None  # Paystack access_code, Daraja CheckoutRequestID, ...
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChargeResult:
    """What the provider says a charge came to (from verify/query or from a webhook)."""

    reference: str
    status: PaymentStatus
    amount: Decimal | None = None
    currency: str | None = None
    provider_reference: str | None = None  # provider's id for the payment (Paystack id, Flutterwave id, receipt)
    message: str = ""
    authorization: Mapping[str, Any] | None = None  # reusable card authorization, when the provider gives one
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResolvedAccount:
    account_number: str
    account_name: str
    bank_code: str


@dataclass(frozen=True)
class TransferRecipient:
    recipient_code: str
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferRequest:
    reference: str  # ours, unique
    amount: Decimal
    currency: str
    reason: str
    callback_url: str  # M-Pesa B2C ResultURL / Flutterwave callback_url; others ignore it
    recipient_code: str | None = None  # Paystack
    bank_code: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    phone_number: str | None = None  # E.164, M-Pesa B2C


@dataclass(frozen=True)
class TransferResult:
    reference: str
    status: PaymentStatus
    provider_reference: str | None = None  # Paystack transfer_code, Flutterwave id, Daraja ConversationID
    amount: Decimal | None = None
    currency: str | None = None
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    """One event parsed out of a verified webhook body."""

    event_id: str  # unique per provider event: the dedupe key with the provider's name
    kind: EventKind
    reference: str | None  # our reference, when the payload carries it
    status: PaymentStatus
    amount: Decimal | None = None
    currency: str | None = None
    provider_reference: str | None = None  # e.g. Daraja CheckoutRequestID / ConversationID, Flutterwave id
    phone_number: str | None = None  # E.164 payer/recipient, when the payload carries it (Daraja)
    message: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)
    receipt_code: str | None = None  # the receipt the payer sees (Daraja's MpesaReceiptNumber / TransactionReceipt)


@dataclass(frozen=True)
class Bank:
    """One entry of a provider's bank list: the code its transfers and account lookups take, and the name."""

    code: str
    name: str


@dataclass(frozen=True)
class CardChargeRequest:
    """A charge of a saved card's reusable authorization (Paystack `charge_authorization`, Flutterwave tokenized
    charge): no checkout, the provider answers with the outcome (or pending) at once."""

    reference: str  # ours, unique; the provider echoes it back
    amount: Decimal
    currency: str
    email: str  # the customer's, as on the card's first payment
    authorization_code: str  # Paystack authorization_code / Flutterwave card token
    last4: str = ""  # the card's last four digits (the sandboxes' test rule reads it; real providers never see it)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class BankDirectory(Protocol):
    """A provider that lists the banks it pays out to, per country (ISO 3166 alpha-2: NG, KE, GH)."""

    def list_banks(self, *, country: str) -> list[Bank]: ...


@runtime_checkable
class SavedCardCharger(Protocol):
    """A provider that charges a saved card's reusable authorization. `ChargeResult.authorization` from its
    `verify_charge` has Paystack's keys: authorization_code, signature, last4, exp_month, exp_year, brand, bank,
    reusable."""

    def charge_authorization(self, request: CardChargeRequest) -> ChargeResult: ...


class PaymentProvider(Protocol):
    @property
    def name(self) -> str: ...  # read-only, so a class attribute (the sandboxes' ClassVar) provides it too

    # Whether `verify_charge` / `verify_transfer` answer at once with the provider's own record. A webhook of a kind
    # the provider can verify moves money only through that answer, never on its body alone (webhook bodies prove
    # at most who sent them, and a shared secret such as Flutterwave's `verif-hash` can leak).
    verifies_charges: bool
    verifies_transfers: bool
    # False when the provider signs nothing (Daraja): its callbacks are authenticated by the unguessable token in
    # their URL, which the caller checks against our record before `parse_webhook`.
    signs_webhooks: bool
    # The provider's own ceiling per charge and currency (e.g. Daraja's STK push: KES 250,000); a currency not named
    # has none. `settings.DEPOSIT_MAXIMUMS` may set a lower one.
    charge_maximums: Mapping[str, Decimal]
    # False when querying a charge tells how it ended but not for how much (Daraja's STK query): the amount we
    # asked for, which the provider fixed, is what it confirms.
    charge_query_reports_amount: bool

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated: ...

    def verify_charge(self, *, reference: str, provider_reference: str | None = None) -> ChargeResult: ...

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount: ...

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient: ...

    def transfer(self, request: TransferRequest) -> TransferResult: ...

    def verify_transfer(self, *, reference: str, provider_reference: str | None = None) -> TransferResult: ...

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """Verify the signature (raise WebhookSignatureError) and return the events the body carries.

        Daraja signs nothing: its callbacks are authenticated by the unguessable token in their URL, which the
        caller checks against our record before calling this.
        """
        ...
