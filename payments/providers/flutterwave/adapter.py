"""Flutterwave v3: amounts in major units; webhooks carry the configured secret hash in `verif-hash`, which proves
only the sender, so a charge is re-verified by id before it is credited."""

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from core.money import round_money
from payments.providers.base import (
    Bank,
    CardChargeRequest,
    ChargeInitiated,
    ChargeRequest,
    ChargeResult,
    EventKind,
    PaymentStatus,
    ProviderRejectedError,
    ResolvedAccount,
    TransferRecipient,
    TransferRequest,
    TransferResult,
    WebhookEvent,
    WebhookSignatureError,
)
from payments.providers.http import header, send

CHARGE_STATUS = {
    "successful": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "cancelled": PaymentStatus.FAILED,
}
TRANSFER_STATUS = {"SUCCESSFUL": PaymentStatus.SUCCEEDED, "FAILED": PaymentStatus.FAILED}
BANK_COUNTRIES = ("NG", "KE", "GH")  # GET /banks/{country}


@dataclass(frozen=True)
class FlutterwaveConfig:
    secret_key: str
    secret_hash: str
    base_url: str = "https://api.flutterwave.com/v3"
    timeout: float = 10.0


def card_authorization(card: Any) -> dict[str, Any] | None:
    """Flutterwave's `data.card` as the reusable authorization every adapter returns (Paystack's keys): the
    `token` is what a tokenized charge takes; the card is known by its first six, last four and expiry."""
    if not isinstance(card, Mapping):
        return None
    month, _, year = str(card.get("expiry") or "").partition("/")
    token = str(card.get("token") or "")
    last4 = str(card.get("last_4digits") or "")
    return {
        "authorization_code": token,
        "signature": f"{card.get('first_6digits', '')}{last4}{card.get('expiry', '')}" if last4 else token,
        "last4": last4,
        "exp_month": month if month.isdigit() else "",
        "exp_year": f"20{year}" if year.isdigit() and len(year) == 2 else year,
        "brand": str(card.get("type") or "").lower(),
        "bank": str(card.get("issuer") or ""),
        "reusable": bool(token),
    }


def _amount(value: Any, currency: str | None) -> Decimal | None:
    if value is None or not currency:
        return None
    return round_money(Decimal(str(value)), currency)


class FlutterwaveProvider:
    name = "flutterwave"
    verifies_charges = True  # GET /transactions/{id}/verify (or verify_by_reference)
    verifies_transfers = True  # GET /transfers/{id}
    signs_webhooks = True  # verif-hash: a shared secret, which proves the sender only, hence the verification
    charge_maximums: Mapping[str, Decimal] = {}  # none documented; settings.DEPOSIT_MAXIMUMS caps deposits
    charge_query_reports_amount = True

    def __init__(self, config: FlutterwaveConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        status, body = send(
            self.client,
            method,
            f"{self.config.base_url}{path}",
            headers={"Authorization": f"Bearer {self.config.secret_key}"},
            **kwargs,
        )
        if status >= 400 or body.get("status") == "error":
            raise ProviderRejectedError(body.get("message") or f"Flutterwave refused the request ({status}).")
        return body.get("data") or {}

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated:
        customer = {"email": request.email}
        if request.phone_number:
            customer["phonenumber"] = request.phone_number
        data = self._call(
            "POST",
            "/payments",
            json={
                "tx_ref": request.reference,
                "amount": str(request.amount),
                "currency": request.currency,
                "redirect_url": request.callback_url,
                "customer": customer,
                "customizations": {"title": "Pamoja"},
                "meta": dict(request.metadata),
            },
        )
        return ChargeInitiated(
            reference=request.reference, status=PaymentStatus.PENDING, authorization_url=data.get("link"), raw=data
        )

    def verify_charge(self, *, reference: str, provider_reference: str | None = None) -> ChargeResult:
        if provider_reference and provider_reference.isdigit():
            data = self._call("GET", f"/transactions/{provider_reference}/verify")
        else:
            data = self._call("GET", "/transactions/verify_by_reference", params={"tx_ref": reference})
        status = CHARGE_STATUS.get(str(data.get("status", "")).lower(), PaymentStatus.PENDING)
        message = data.get("processor_response") or ""
        if data.get("tx_ref") != reference:
            # Never a success for us; the reference it names lets a caller see that it is someone else's payment.
            status, message = PaymentStatus.FAILED, "The transaction Flutterwave returned is not this payment."
        return ChargeResult(
            reference=str(data.get("tx_ref") or ""),
            status=status,
            amount=_amount(data.get("amount"), data.get("currency")),
            currency=data.get("currency"),
            provider_reference=str(data["id"]) if data.get("id") is not None else None,
            message=message,
            authorization=card_authorization(data.get("card")),
            raw=data,
        )

    def charge_authorization(self, request: CardChargeRequest) -> ChargeResult:
        """POST /tokenized-charges with the card's token: `data.status` `successful` or `failed` at once, or
        `pending` (the bank asks the customer); its webhook and `verify_charge` then tell."""
        data = self._call(
            "POST",
            "/tokenized-charges",
            json={
                "token": request.authorization_code,
                "email": request.email,
                "amount": str(request.amount),
                "currency": request.currency,
                "tx_ref": request.reference,
                "narration": "Pamoja wallet deposit",
                "meta": dict(request.metadata),
            },
        )
        status = CHARGE_STATUS.get(str(data.get("status", "")).lower(), PaymentStatus.PENDING)
        if data.get("tx_ref") not in (None, request.reference):
            status = PaymentStatus.PENDING  # another payment's answer: neither credit nor fail on it; verify later
        return ChargeResult(
            reference=request.reference,
            status=status,
            amount=_amount(data.get("amount"), data.get("currency")),
            currency=data.get("currency"),
            provider_reference=str(data["id"]) if data.get("id") is not None else None,
            message=data.get("processor_response") or "",
            authorization=card_authorization(data.get("card")),
            raw=data,
        )

    def list_banks(self, *, country: str) -> list[Bank]:
        """GET /banks/{country}: `data` is every bank, `{id, code, name}`."""
        if country not in BANK_COUNTRIES:
            raise ProviderRejectedError(f"Flutterwave lists no banks for {country}.")
        status, body = send(
            self.client,
            "GET",
            f"{self.config.base_url}/banks/{country}",
            headers={"Authorization": f"Bearer {self.config.secret_key}"},
        )
        if status >= 400 or body.get("status") == "error":
            raise ProviderRejectedError(body.get("message") or f"Flutterwave refused the request ({status}).")
        entries = body.get("data") or []
        return [
            Bank(code=str(entry["code"]), name=str(entry["name"]))
            for entry in entries
            if isinstance(entry, dict) and entry.get("code") and entry.get("name")
        ]

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount:
        data = self._call(
            "POST", "/accounts/resolve", json={"account_number": account_number, "account_bank": bank_code}
        )
        return ResolvedAccount(
            account_number=data.get("account_number", account_number),
            account_name=data["account_name"],
            bank_code=bank_code,
        )

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        """Flutterwave transfers name the bank and account directly; no recipient has to be registered first."""
        return TransferRecipient(recipient_code=f"{bank_code}:{account_number}")

    def transfer(self, request: TransferRequest) -> TransferResult:
        data = self._call(
            "POST",
            "/transfers",
            json={
                "account_bank": request.bank_code,
                "account_number": request.account_number,
                "amount": str(request.amount),
                "narration": request.reason,
                "currency": request.currency,
                "debit_currency": request.currency,
                "reference": request.reference,
                "callback_url": request.callback_url,
                "beneficiary_name": request.account_name,
            },
        )
        return self._transfer_result(data, request.reference)

    def verify_transfer(self, *, reference: str, provider_reference: str | None = None) -> TransferResult:
        if not provider_reference:
            return TransferResult(
                reference=reference, status=PaymentStatus.PENDING, message="No Flutterwave transfer id yet."
            )
        return self._transfer_result(self._call("GET", f"/transfers/{provider_reference}"), reference)

    def _transfer_result(self, data: Mapping[str, Any], reference: str) -> TransferResult:
        return TransferResult(
            reference=data.get("reference") or reference,
            status=TRANSFER_STATUS.get(str(data.get("status", "")).upper(), PaymentStatus.PENDING),
            provider_reference=str(data["id"]) if data.get("id") is not None else None,
            amount=_amount(data.get("amount"), data.get("currency")),
            currency=data.get("currency"),
            message=data.get("complete_message") or "",
            raw=dict(data),
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        given = header(headers, "verif-hash")
        if not given or not hmac.compare_digest(given.encode(), self.config.secret_hash.encode()):
            raise WebhookSignatureError("verif-hash missing or wrong")
        payload = json.loads(body)
        data = payload.get("data") or {}
        event = payload.get("event")
        if event == "charge.completed":
            kind = EventKind.CHARGE
            reference = data.get("tx_ref")
            status = CHARGE_STATUS.get(str(data.get("status", "")).lower(), PaymentStatus.PENDING)
        elif event == "transfer.completed":
            kind = EventKind.TRANSFER
            reference = data.get("reference")
            status = TRANSFER_STATUS.get(str(data.get("status", "")).upper(), PaymentStatus.PENDING)
        else:
            return []
        return [
            WebhookEvent(
                event_id=f"{event}:{data.get('id')}:{data.get('status')}",
                kind=kind,
                reference=reference,
                status=status,
                amount=_amount(data.get("amount"), data.get("currency")),
                currency=data.get("currency"),
                provider_reference=str(data["id"]) if data.get("id") is not None else None,
                message=data.get("complete_message") or data.get("processor_response") or "",
                raw=payload,
            )
        ]


def from_settings() -> FlutterwaveProvider:
    return FlutterwaveProvider(
        FlutterwaveConfig(
            secret_key=settings.FLUTTERWAVE_SECRET_KEY,
            secret_hash=settings.FLUTTERWAVE_SECRET_HASH,
            base_url=settings.FLUTTERWAVE_BASE_URL,
        )
    )
