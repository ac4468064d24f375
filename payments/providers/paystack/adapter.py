"""Paystack (api.paystack.co): amounts in the currency's subunit; webhooks signed with HMAC-SHA512 of the body."""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from core.money import from_minor_units, to_minor_units
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
    "success": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "abandoned": PaymentStatus.FAILED,
    "reversed": PaymentStatus.FAILED,
}
TRANSFER_STATUS = {
    "success": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "reversed": PaymentStatus.REVERSED,
}
EVENTS = {
    "charge.success": (EventKind.CHARGE, PaymentStatus.SUCCEEDED),
    "charge.failed": (EventKind.CHARGE, PaymentStatus.FAILED),
    "transfer.success": (EventKind.TRANSFER, PaymentStatus.SUCCEEDED),
    "transfer.failed": (EventKind.TRANSFER, PaymentStatus.FAILED),
    "transfer.reversed": (EventKind.TRANSFER, PaymentStatus.REVERSED),
}
# Paystack's recipient type per currency: NUBAN banks (NG), GhIPSS (GH), BASA (ZA); Kenya pays out to M-Pesa
# wallets through `mobile_money`.
RECIPIENT_TYPES = {"NGN": "nuban", "GHS": "ghipss", "ZAR": "basa", "KES": "mobile_money"}
# `GET /bank` names a country in words, with its currency.
BANK_COUNTRIES = {"NG": ("nigeria", "NGN"), "KE": ("kenya", "KES"), "GH": ("ghana", "GHS")}
BANK_PAGES = 20  # at most 100 banks a page (cursor pagination); Nigeria lists a few hundred


@dataclass(frozen=True)
class PaystackConfig:
    secret_key: str
    base_url: str = "https://api.paystack.co"
    timeout: float = 10.0


class PaystackProvider:
    name = "paystack"
    verifies_charges = True  # GET /transaction/verify/{reference}
    verifies_transfers = True  # GET /transfer/verify/{reference}
    signs_webhooks = True  # x-paystack-signature
    charge_maximums: Mapping[str, Decimal] = {}  # none documented; settings.DEPOSIT_MAXIMUMS caps deposits
    charge_query_reports_amount = True

    def __init__(self, config: PaystackConfig, client: httpx.Client | None = None):
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
        if status >= 400 or body.get("status") is False:
            raise ProviderRejectedError(body.get("message") or f"Paystack refused the request ({status}).")
        return body.get("data") or {}

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated:
        data = self._call(
            "POST",
            "/transaction/initialize",
            json={
                "email": request.email,
                "amount": to_minor_units(request.amount, request.currency),
                "currency": request.currency,
                "reference": request.reference,
                "callback_url": request.callback_url,
                "metadata": dict(request.metadata),
            },
        )
        return ChargeInitiated(
            reference=request.reference,
            status=PaymentStatus.PENDING,
            authorization_url=data.get("authorization_url"),
            provider_reference=data.get("access_code"),
            raw=data,
        )

    def verify_charge(self, *, reference: str, provider_reference: str | None = None) -> ChargeResult:
        data = self._call("GET", f"/transaction/verify/{reference}")
        currency = data.get("currency")
        return ChargeResult(
            reference=data.get("reference", reference),
            status=CHARGE_STATUS.get(data.get("status", ""), PaymentStatus.PENDING),
            amount=from_minor_units(data["amount"], currency) if currency and "amount" in data else None,
            currency=currency,
            provider_reference=str(data["id"]) if data.get("id") is not None else None,
            message=data.get("gateway_response") or "",
            authorization=data.get("authorization"),
            raw=data,
        )

    def charge_authorization(self, request: CardChargeRequest) -> ChargeResult:
        """POST /transaction/charge_authorization: `data.status` is `success` or `failed` at once, or anything else
        (`send_otp`, `pending`) while the bank decides; its webhook and `verify_charge` then tell."""
        data = self._call(
            "POST",
            "/transaction/charge_authorization",
            json={
                "authorization_code": request.authorization_code,
                "email": request.email,
                "amount": to_minor_units(request.amount, request.currency),
                "currency": request.currency,
                "reference": request.reference,
                "metadata": dict(request.metadata),
            },
        )
        currency = data.get("currency")
        status = {"success": PaymentStatus.SUCCEEDED, "failed": PaymentStatus.FAILED}.get(
            str(data.get("status", "")), PaymentStatus.PENDING
        )
        if data.get("reference") not in (None, request.reference):
            status = PaymentStatus.PENDING  # another payment's answer: neither credit nor fail on it; verify later
        return ChargeResult(
            reference=request.reference,
            status=status,
            amount=from_minor_units(data["amount"], currency) if currency and "amount" in data else None,
            currency=currency,
            provider_reference=str(data["id"]) if data.get("id") is not None else None,
            message=data.get("gateway_response") or data.get("message") or "",
            authorization=data.get("authorization"),
            raw=data,
        )

    def list_banks(self, *, country: str) -> list[Bank]:
        """GET /bank?country=nigeria&currency=NGN, every page (cursor pagination, 100 a page)."""
        if country not in BANK_COUNTRIES:
            raise ProviderRejectedError(f"Paystack lists no banks for {country}.")
        name, currency = BANK_COUNTRIES[country]
        params: dict[str, Any] = {"country": name, "currency": currency, "perPage": 100, "use_cursor": "true"}
        banks: list[Bank] = []
        for _ in range(BANK_PAGES):
            status, body = send(
                self.client,
                "GET",
                f"{self.config.base_url}/bank",
                headers={"Authorization": f"Bearer {self.config.secret_key}"},
                params=params,
            )
            if status >= 400 or body.get("status") is False:
                raise ProviderRejectedError(body.get("message") or f"Paystack refused the request ({status}).")
            for entry in body.get("data") or []:
                listed = entry.get("active", True) and not entry.get("is_deleted")
                if listed and entry.get("code") and entry.get("name"):
                    banks.append(Bank(code=str(entry["code"]), name=str(entry["name"])))
            cursor = (body.get("meta") or {}).get("next")
            if not cursor:
                break
            params = {**params, "next": cursor}
        return banks

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount:
        data = self._call("GET", "/bank/resolve", params={"account_number": account_number, "bank_code": bank_code})
        return ResolvedAccount(
            account_number=data.get("account_number", account_number),
            account_name=data["account_name"],
            bank_code=bank_code,
        )

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        if currency not in RECIPIENT_TYPES:
            raise ProviderRejectedError(f"Paystack does not pay out in {currency}.")
        data = self._call(
            "POST",
            "/transferrecipient",
            json={
                "type": RECIPIENT_TYPES[currency],
                "name": name,
                "account_number": account_number,
                "bank_code": bank_code,
                "currency": currency,
            },
        )
        return TransferRecipient(recipient_code=data["recipient_code"], raw=data)

    def transfer(self, request: TransferRequest) -> TransferResult:
        data = self._call(
            "POST",
            "/transfer",
            json={
                "source": "balance",
                "amount": to_minor_units(request.amount, request.currency),
                "recipient": request.recipient_code,
                "reason": request.reason,
                "reference": request.reference,
                "currency": request.currency,
            },
        )
        return self._transfer_result(data, request.reference)

    def verify_transfer(self, *, reference: str, provider_reference: str | None = None) -> TransferResult:
        return self._transfer_result(self._call("GET", f"/transfer/verify/{reference}"), reference)

    def _transfer_result(self, data: Mapping[str, Any], reference: str) -> TransferResult:
        currency = data.get("currency")
        return TransferResult(
            reference=data.get("reference") or reference,
            status=TRANSFER_STATUS.get(data.get("status", ""), PaymentStatus.PENDING),
            provider_reference=data.get("transfer_code"),
            amount=from_minor_units(data["amount"], currency) if currency and "amount" in data else None,
            currency=currency,
            message=data.get("reason") or "",
            raw=dict(data),
        )

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        signature = header(headers, "x-paystack-signature")
        expected = hmac.new(self.config.secret_key.encode(), body, hashlib.sha512).hexdigest()
        if not signature or not hmac.compare_digest(signature, expected):
            raise WebhookSignatureError("x-paystack-signature missing or wrong")
        payload = json.loads(body)
        if payload.get("event") not in EVENTS:
            return []
        kind, status = EVENTS[payload["event"]]
        data = payload.get("data") or {}
        currency = data.get("currency")
        amount = data.get("amount")
        return [
            WebhookEvent(
                event_id=f"{payload['event']}:{data.get('id')}",
                kind=kind,
                reference=data.get("reference"),
                status=status,
                amount=from_minor_units(amount, currency) if currency and amount is not None else None,
                currency=currency,
                provider_reference=data.get("transfer_code") or (str(data["id"]) if data.get("id") else None),
                message=data.get("gateway_response") or data.get("reason") or "",
                raw=payload,
            )
        ]


def from_settings() -> PaystackProvider:
    return PaystackProvider(
        PaystackConfig(secret_key=settings.PAYSTACK_SECRET_KEY, base_url=settings.PAYSTACK_BASE_URL)
    )
