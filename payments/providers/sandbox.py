"""Offline sandboxes that speak each provider's protocol, keep their own state and call our webhooks back.

They are the default outside production (`PROVIDERS_SANDBOX`). A sandbox answers like the provider, then later,
through Celery, delivers the provider's own webhook, signed with the configured secret, to our endpoint, where the
real adapter verifies and parses it: signature check, idempotency and ledger posting all run as in life. Before a
webhook moves money it is checked against `verify_charge` / `verify_transfer`, which the sandbox answers from its
own records (`SandboxPayment.status`: pending, succeeded, failed, or reversed for a transfer returned later).

Test values (documented for the SPA and for tests):
- Card checkouts (Paystack, Flutterwave) wait for `POST /sandbox/{provider}/charges/{reference}/complete/`
  (`{"outcome": "success" | "failed"}`) or the Pay / Decline buttons of the checkout page.
- M-Pesa STK pushes complete by themselves after SANDBOX_STK_DELAY seconds: success, except numbers ending
  in 1032 (cancelled by the user), 1037 (no answer from the phone) and 0001 (insufficient M-Pesa balance).
- Transfers succeed after SANDBOX_STK_DELAY seconds, except to account numbers or phones ending in 0000.
- Account names resolve for any 10-digit account number except 0000000000.
"""

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from config.sandbox_delivery import deliver
from payments.models import SandboxPayment
from payments.money import to_minor_units
from payments.providers.base import (
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

logger = logging.getLogger("pamoja.sandbox")

STK_RESULTS = {
    "1032": (1032, "Request cancelled by user"),
    "1037": (1037, "DS timeout user cannot be reached"),
    "0001": (1, "The balance is insufficient for the transaction"),
}


class SandboxProvider:
    def __init__(self, *, name: str, real: PaymentProvider):
        self.name = name
        self.real = real
        # What the real provider can verify, the sandbox verifies too (from its own records), and no more: the
        # offline flow then takes the same paths as production.
        self.verifies_charges = real.verifies_charges
        self.verifies_transfers = real.verifies_transfers
        self.signs_webhooks = real.signs_webhooks
        self.charge_maximums = real.charge_maximums

    # --- charges ----------------------------------------------------------------------------------------------

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated:
        if self.name == "mpesa" and (request.currency != "KES" or request.amount != request.amount.to_integral()):
            raise ProviderRejectedError("M-Pesa takes whole Kenya shillings.")
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
        if self.name == "mpesa":
            outcome = "failed" if (request.phone_number or "")[-4:] in STK_RESULTS else "success"
            _complete_later(record.pk, outcome)
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
        paid_by_card = self.name == "paystack" and record.status == "succeeded"
        stk_query = self.name == "mpesa"  # Daraja's STK query says how the push ended, not for how much
        return ChargeResult(
            reference=reference,
            status=PaymentStatus(record.status),
            amount=None if stk_query else record.amount,
            currency=None if stk_query else record.currency,
            provider_reference=str(record.pk),
            authorization=card_authorization(record) if paid_by_card else None,
            raw={"sandbox": True},
        )

    # --- accounts and transfers -------------------------------------------------------------------------------

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount:
        if self.name == "mpesa":
            raise ProviderRejectedError("M-Pesa pays phone numbers; bank accounts are not supported")
        if not (account_number.isdigit() and len(account_number) == 10) or account_number == "0000000000":
            raise ProviderRejectedError("Could not resolve account name. Check parameters or try again.")
        return ResolvedAccount(
            account_number=account_number, account_name=f"SANDBOX ACCOUNT {account_number[-4:]}", bank_code=bank_code
        )

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        self.resolve_account(account_number=account_number, bank_code=bank_code)
        return TransferRecipient(recipient_code=f"RCP_sbx_{uuid.uuid4().hex[:12]}")

    def transfer(self, request: TransferRequest) -> TransferResult:
        if self.name == "mpesa" and (request.currency != "KES" or request.amount != request.amount.to_integral()):
            raise ProviderRejectedError("M-Pesa takes whole Kenya shillings.")
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
    from payments.tasks import complete_sandbox_payment

    transaction.on_commit(
        lambda: complete_sandbox_payment.apply_async((record_id, outcome), countdown=settings.SANDBOX_STK_DELAY)
    )


def complete_payment(*, record: SandboxPayment, outcome: str) -> SandboxPayment:
    """Settle a sandbox payment (once) and deliver the provider's webhook for it, after commit."""
    with transaction.atomic():
        record = SandboxPayment.objects.select_for_update().get(pk=record.pk)
        if record.status != "pending":
            return record
        record.status = "succeeded" if outcome == "success" else "failed"
        record.save(update_fields=["status"])
        from payments.tasks import deliver_sandbox_webhook

        transaction.on_commit(lambda: deliver_sandbox_webhook.delay(record.pk))
    return record


def deliver_webhook(*, record: SandboxPayment) -> int:
    """POST the provider-shaped, signed webhook for `record` to our endpoint; returns the HTTP status."""
    url, body, headers = _webhook_for(record)
    status = deliver(url, body, {"User-Agent": f"pamoja-sandbox/{record.provider}", **headers})
    logger.info("sandbox %s webhook for %s answered %s", record.provider, record.reference, status)
    return status


def card_authorization(record: SandboxPayment) -> dict:
    """The reusable authorization Paystack returns for a card payment (the sandbox's test card)."""
    return {
        "authorization_code": f"AUTH_sbx{record.pk}",
        "last4": "4081",
        "exp_month": "12",
        "exp_year": "2030",
        "card_type": "visa",
        "brand": "visa",
        "signature": f"SIG_sbx_{record.details.get('email', '')}",
        "reusable": True,
        "bank": "Sandbox Bank",
    }


def _webhook_for(record: SandboxPayment) -> tuple[str, bytes, dict[str, str]]:
    ok = record.status == "succeeded"
    if record.provider == "paystack":
        event = (
            ("charge.success" if ok else "charge.failed")
            if record.kind == "charge"
            else ("transfer.success" if ok else "transfer.failed")
        )
        data = {
            "id": record.pk,
            "reference": record.reference,
            "amount": to_minor_units(record.amount, record.currency),
            "currency": record.currency,
            "status": "success" if ok else "failed",
            "gateway_response": "Approved" if ok else "Declined",
        }
        if record.kind == "charge":
            data["customer"] = {"email": record.details.get("email", "")}
            data["authorization"] = card_authorization(record)
        else:
            data["transfer_code"] = record.provider_reference
        body = json.dumps({"event": event, "data": data}).encode()
        signature = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
        return f"{settings.SITE_URL}/api/v1/webhooks/paystack/", body, {"x-paystack-signature": signature}

    if record.provider == "flutterwave":
        if record.kind == "charge":
            payload = {
                "event": "charge.completed",
                "data": {
                    "id": record.pk,
                    "tx_ref": record.reference,
                    "flw_ref": record.provider_reference,
                    "amount": float(record.amount),
                    "currency": record.currency,
                    "status": "successful" if ok else "failed",
                },
            }
        else:
            payload = {
                "event": "transfer.completed",
                "event.type": "Transfer",
                "data": {
                    "id": record.pk,
                    "reference": record.reference,
                    "amount": float(record.amount),
                    "currency": record.currency,
                    "status": "SUCCESSFUL" if ok else "FAILED",
                    "complete_message": "Successful" if ok else "Account resolve failed",
                },
            }
        body = json.dumps(payload).encode()
        return (
            f"{settings.SITE_URL}/api/v1/webhooks/flutterwave/",
            body,
            {"verif-hash": settings.FLUTTERWAVE_SECRET_HASH},
        )

    # M-Pesa: to the callback URL (with its token) that the request named.
    phone = record.details.get("phone_number", "") or record.details.get("destination", "")
    if record.kind == "charge":
        code, description = (
            (0, "The service request is processed successfully.")
            if ok
            else STK_RESULTS.get(phone[-4:], (1032, "Request cancelled by user"))
        )
        callback = {
            "MerchantRequestID": f"sbx-{record.pk}",
            "CheckoutRequestID": record.provider_reference,
            "ResultCode": code,
            "ResultDesc": description,
        }
        if ok:
            stamp = datetime.now(ZoneInfo("Africa/Nairobi")).strftime("%Y%m%d%H%M%S")
            callback["CallbackMetadata"] = {
                "Item": [
                    {"Name": "Amount", "Value": int(record.amount)},
                    {"Name": "MpesaReceiptNumber", "Value": f"SBX{record.pk:07d}"},
                    {"Name": "Balance"},
                    {"Name": "TransactionDate", "Value": int(stamp)},
                    {"Name": "PhoneNumber", "Value": int(phone.lstrip("+") or 0)},
                ]
            }
        body = json.dumps({"Body": {"stkCallback": callback}}).encode()
    else:
        result = {
            "ResultType": 0,
            "ResultCode": 0 if ok else 2040,
            "ResultDesc": "The service request is processed successfully."
            if ok
            else "The recipient is not a registered M-Pesa customer.",
            "OriginatorConversationID": f"sbx-{record.pk}",
            "ConversationID": record.provider_reference,
            "TransactionID": f"SBX{record.pk:07d}",
        }
        if ok:
            result["ResultParameters"] = {
                "ResultParameter": [
                    {"Key": "TransactionAmount", "Value": int(record.amount)},
                    {"Key": "TransactionReceipt", "Value": f"SBX{record.pk:07d}"},
                    {"Key": "ReceiverPartyPublicName", "Value": f"{phone.lstrip('+')} - Sandbox Customer"},
                ]
            }
        body = json.dumps({"Result": result}).encode()
    return record.callback_url, body, {}
