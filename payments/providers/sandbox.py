"""The sandbox framework: offline stand-ins that speak each provider's protocol, keep their own state and call our
webhooks back. Each vendor's sandbox (`<vendor>/sandbox.py`) subclasses `ProviderSandbox`, says how the vendor
differs in attributes, and builds the vendor's own webhook in `webhook_for`.

They are the default with DEBUG (`PROVIDERS_SANDBOX`). A sandbox answers like the provider, then later, through
Celery, delivers the provider's own webhook, signed with the configured secret, to our endpoint, where the real
adapter verifies and parses it: signature check, idempotency and ledger posting all run as in life. Before a
webhook moves money it is checked against `verify_charge` / `verify_transfer`, which the sandbox answers from its
own records (`SandboxPayment.status`: pending, succeeded, failed, or reversed for a transfer returned later).

Test values (documented for the SPA and for tests):
- Card checkouts (Paystack, Flutterwave) wait for `POST /sandbox/{provider}/charges/{reference}/complete/`
  (`{"outcome": "success" | "failed"}`) or the Pay / Decline buttons of the checkout page.
- M-Pesa STK pushes complete by themselves after SANDBOX_STK_DELAY seconds: success, except numbers ending
  in 1032 (cancelled by the user), 1037 (no answer from the phone) and 0001 (insufficient M-Pesa balance).
- Transfers succeed after SANDBOX_STK_DELAY seconds, except to account numbers or phones ending in 0000.
- Account names resolve for any 10-digit account number except 0000000000.
- Saved cards (Paystack `charge_authorization`, Flutterwave tokenized charges) are charged at once: approved,
  except a card whose last four digits are 0000 (declined). The checkout's complete call takes an optional
  `"last4"` to pay with such a card (`{"outcome": "success", "last4": "0000"}`); the default test card ends 4081
  (Paystack) or 2950 (Flutterwave).
- Bank lists (`list_banks`) are a fixed, realistic set for NG, KE and GH (`sandbox_banks.py`).
"""

import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction

from core.enqueue import enqueue_on_commit
from core.sandbox_delivery import deliver
from payments.models import SandboxPayment
from payments.providers.base import (
    Bank,
    CardChargeRequest,
    ChargeInitiated,
    ChargeRequest,
    ChargeResult,
    PaymentProvider,
    PaymentStatus,
    ProviderRejectedError,
    ResolvedAccount,
    TransferRecipient,
    TransferRequest,
    TransferResult,
    WebhookEvent,
)
from payments.providers.sandbox_banks import SANDBOX_BANKS

logger = logging.getLogger("pamoja.sandbox")


class WebhookNotAcceptedError(Exception):
    """Our endpoint answered a sandbox delivery with a 5xx: the sandbox retries, as a provider would."""


class ProviderSandbox:
    """What every sandbox does the same way; a vendor's subclass sets the attributes below and `webhook_for`.
    Each subclass is known by its `name` (`ProviderSandbox.vendors`), so a delivery finds its vendor's shape."""

    vendors: ClassVar[dict[str, type["ProviderSandbox"]]] = {}
    name: ClassVar[str] = ""
    # An STK push to a phone that completes by itself (M-Pesa), rather than a checkout page that waits.
    charges_by_phone = False
    # Whether the vendor pays bank accounts (M-Pesa pays phone numbers only).
    pays_bank_accounts = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        ProviderSandbox.vendors[cls.name] = cls

    def __init__(self, *, real: PaymentProvider):
        self.real = real
        # What the real provider can verify, the sandbox verifies too (from its own records), and no more: the
        # offline flow then takes the same paths as production.
        self.verifies_charges = real.verifies_charges
        self.verifies_transfers = real.verifies_transfers
        self.signs_webhooks = real.signs_webhooks
        self.charge_maximums = real.charge_maximums
        self.charge_query_reports_amount = real.charge_query_reports_amount

    # --- what a vendor says ---------------------------------------------------------------------------------

    def check_amount(self, *, amount: Decimal, currency: str) -> None:
        """Refuse what the vendor refuses (`ProviderRejectedError`); everything by default."""

    def charge_outcome(self, request: ChargeRequest) -> str:
        """How a charge that completes by itself ends: `success` or `failed`."""
        return "success"

    @classmethod
    def card_authorization(cls, record: SandboxPayment) -> dict[str, object] | None:
        """The reusable card authorization the vendor's verification returns for a paid card charge, if any."""
        return None

    @classmethod
    def webhook_for(cls, record: SandboxPayment) -> tuple[str, bytes, dict[str, str]]:
        """The vendor's own webhook for `record`: where it goes, its body and its (signed) headers."""
        raise NotImplementedError

    # --- charges ----------------------------------------------------------------------------------------------

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated:
        self.check_amount(amount=request.amount, currency=request.currency)
        record = SandboxPayment.objects.create(
            provider=self.name,
            kind="charge",
            reference=request.reference,
            provider_reference=f"sbx_{self.name}_{uuid.uuid4().hex[:20]}",
            amount=request.amount,
            currency=request.currency,
            callback_url=request.callback_url,
            details={"email": request.email, "phone_number": request.phone_number or ""},
        )
        if self.charges_by_phone:
            _complete_later(record.pk, self.charge_outcome(request))
            return ChargeInitiated(
                reference=request.reference,
                status=PaymentStatus.PENDING,
                provider_reference=record.provider_reference,
                message="Success. Request accepted for processing",
            )
        return ChargeInitiated(
            reference=request.reference,
            status=PaymentStatus.PENDING,
            authorization_url=f"{settings.SITE_URL}/sandbox/{self.name}/checkout/{request.reference}/",
            provider_reference=record.provider_reference,
        )

    def verify_charge(self, *, reference: str, provider_reference: str | None = None) -> ChargeResult:
        record = SandboxPayment.objects.filter(provider=self.name, kind="charge", reference=reference).first()
        if record is None:
            return ChargeResult(reference=reference, status=PaymentStatus.FAILED, message="Transaction not found")
        reports_amount = self.charge_query_reports_amount
        return ChargeResult(
            reference=reference,
            status=PaymentStatus(record.status),
            amount=record.amount if reports_amount else None,
            currency=record.currency if reports_amount else None,
            provider_reference=str(record.pk),
            authorization=self.card_authorization(record) if record.status == "succeeded" else None,
            raw={"sandbox": True},
        )

    def charge_authorization(self, request: CardChargeRequest) -> ChargeResult:
        """A saved card charged at once, as the vendors answer: approved, or declined for a card ending 0000. The
        vendor's webhook follows (after commit), as in life; a reference used before is refused."""
        if self.charges_by_phone:
            raise ProviderRejectedError(f"{self.name} charges phones; it keeps no cards.")
        self.check_amount(amount=request.amount, currency=request.currency)
        ok = not request.last4.endswith("0000")
        record, created = SandboxPayment.objects.get_or_create(
            provider=self.name,
            kind="charge",
            reference=request.reference,
            defaults={
                "provider_reference": f"sbx_{self.name}_{uuid.uuid4().hex[:20]}",
                "amount": request.amount,
                "currency": request.currency,
                "status": "succeeded" if ok else "failed",
                "details": {
                    "email": request.email,
                    "authorization_code": request.authorization_code,
                    "last4": request.last4,
                },
            },
        )
        if not created:
            raise ProviderRejectedError("Duplicate Transaction Reference")
        enqueue_on_commit(deliver_sandbox_webhook, record.pk)
        return ChargeResult(
            reference=request.reference,
            status=PaymentStatus(record.status),
            amount=record.amount,
            currency=record.currency,
            provider_reference=str(record.pk),
            message="Approved" if ok else "Declined",
            authorization=self.card_authorization(record) if ok else None,
            raw={"sandbox": True},
        )

    # --- accounts and transfers -------------------------------------------------------------------------------

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount:
        if not self.pays_bank_accounts:
            raise ProviderRejectedError(f"{self.name} pays phone numbers; bank accounts are not supported")
        if not (account_number.isdigit() and len(account_number) == 10) or account_number == "0000000000":
            raise ProviderRejectedError("Could not resolve account name. Check parameters or try again.")
        return ResolvedAccount(
            account_number=account_number, account_name=f"SANDBOX ACCOUNT {account_number[-4:]}", bank_code=bank_code
        )

    def list_banks(self, *, country: str) -> list[Bank]:
        if not self.pays_bank_accounts:
            raise ProviderRejectedError(f"{self.name} pays phone numbers; it lists no banks.")
        if country not in SANDBOX_BANKS:
            raise ProviderRejectedError(f"{self.name} lists no banks for {country}.")
        return list(SANDBOX_BANKS[country])

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        self.resolve_account(account_number=account_number, bank_code=bank_code)
        return TransferRecipient(recipient_code=f"RCP_sbx_{uuid.uuid4().hex[:12]}")

    def transfer(self, request: TransferRequest) -> TransferResult:
        self.check_amount(amount=request.amount, currency=request.currency)
        record, created = SandboxPayment.objects.get_or_create(
            provider=self.name,
            kind="transfer",
            reference=request.reference,
            defaults={
                "provider_reference": f"sbx_{self.name}_{uuid.uuid4().hex[:20]}",
                "amount": request.amount,
                "currency": request.currency,
                "callback_url": request.callback_url,
                "details": {"destination": request.account_number or request.phone_number or ""},
            },
        )
        if created:
            destination = request.account_number or request.phone_number or ""
            _complete_later(record.pk, "failed" if destination.endswith("0000") else "success")
        return TransferResult(
            reference=request.reference,
            status=PaymentStatus.PENDING,
            provider_reference=record.provider_reference,
            message="Transfer has been queued",
        )

    def verify_transfer(self, *, reference: str, provider_reference: str | None = None) -> TransferResult:
        record = SandboxPayment.objects.filter(provider=self.name, kind="transfer", reference=reference).first()
        if record is None:
            return TransferResult(reference=reference, status=PaymentStatus.FAILED, message="Transfer not found")
        return TransferResult(
            reference=reference,
            status=PaymentStatus(record.status),
            provider_reference=record.provider_reference,
            amount=record.amount,
            currency=record.currency,
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        """The sandbox's webhooks are the provider's own, so the real adapter reads them."""
        return self.real.parse_webhook(headers=headers, body=body)


# --- completing payments and delivering webhooks ------------------------------------------------------------------


def _complete_later(record_id: int, outcome: str) -> None:
    enqueue_on_commit(complete_sandbox_payment, record_id, outcome, countdown=settings.SANDBOX_STK_DELAY)


def complete_payment(*, record: SandboxPayment, outcome: str) -> SandboxPayment:
    """Settle a sandbox payment (once) and deliver the provider's webhook for it, after commit."""
    with transaction.atomic():
        record = SandboxPayment.objects.select_for_update().get(pk=record.pk)
        if record.status != "pending":
            return record
        record.status = "succeeded" if outcome == "success" else "failed"
        record.save(update_fields=["status"])
        enqueue_on_commit(deliver_sandbox_webhook, record.pk)
    return record


def deliver_webhook(*, record: SandboxPayment) -> int:
    """POST the provider-shaped, signed webhook for `record` to our endpoint; returns the HTTP status."""
    url, body, headers = ProviderSandbox.vendors[record.provider].webhook_for(record)
    status = deliver(url, body, {"User-Agent": f"pamoja-sandbox/{record.provider}", **headers})
    logger.info("sandbox %s webhook for %s answered %s", record.provider, record.reference, status)
    return status


@shared_task(name="payments.complete_sandbox_payment")
def complete_sandbox_payment(record_id: int, outcome: str) -> str:
    return complete_payment(record=SandboxPayment.objects.get(pk=record_id), outcome=outcome).status


@shared_task(
    name="payments.deliver_sandbox_webhook",
    autoretry_for=(httpx.TransportError, WebhookNotAcceptedError),
    retry_backoff=2,
    max_retries=5,
)
def deliver_sandbox_webhook(record_id: int) -> int:
    """Like a provider, the sandbox retries a delivery our endpoint did not accept."""
    status = deliver_webhook(record=SandboxPayment.objects.get(pk=record_id))
    if status >= 500:
        raise WebhookNotAcceptedError(f"webhook answered {status}")
    return status
