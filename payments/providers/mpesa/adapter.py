"""M-Pesa Daraja: OAuth token (cached), STK push and query for deposits, B2C for withdrawals.

Daraja signs nothing it sends us: each callback URL carries an unguessable token of ours, which the caller checks
before `parse_webhook`, and the amount and phone are checked against our record.
"""

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.cache import cache

from payments.providers.base import (
    ChargeInitiated,
    ChargeRequest,
    ChargeResult,
    EventKind,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    ResolvedAccount,
    TransferRecipient,
    TransferRequest,
    TransferResult,
    WebhookEvent,
)
from payments.providers.http import send

NAIROBI = ZoneInfo("Africa/Nairobi")
STILL_PROCESSING = "500.001.1001"
# Safaricom's ceiling for one M-Pesa customer payment (STK push), in shillings.
STK_PUSH_MAXIMUM = Decimal("250000.00")


@dataclass(frozen=True)
class MpesaConfig:
    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    b2c_shortcode: str
    initiator_name: str
    security_credential: str
    base_url: str = "https://sandbox.safaricom.co.ke"
    timeout: float = 10.0
    transaction_type: str = "CustomerPayBillOnline"
    b2c_command_id: str = "BusinessPayment"


@dataclass(frozen=True)
class C2BConfirmation:
    """A customer's payment into our paybill, as Daraja confirms it (C2B confirmation URL)."""

    trans_id: str
    short_code: str
    bill_ref: str
    amount: Decimal
    msisdn: str
    payer_name: str
    paid_at: datetime


def parse_c2b_confirmation(body: bytes) -> C2BConfirmation:
    """Daraja's C2B confirmation body (`TransID`, `TransTime` as YYYYMMDDHHmmss Nairobi time, `TransAmount`,
    `BusinessShortCode`, `BillRefNumber`, `MSISDN`, names); ValueError when it is not one."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not a C2B confirmation")
    trans_id = str(data.get("TransID") or "").strip()
    amount = Decimal(str(data.get("TransAmount")))
    if not trans_id or len(trans_id) > 32 or not amount.is_finite() or amount <= 0:
        raise ValueError("a C2B confirmation needs its TransID and a positive TransAmount")
    paid_at = datetime.strptime(str(data.get("TransTime")), "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
    names = (data.get("FirstName"), data.get("MiddleName"), data.get("LastName"))
    return C2BConfirmation(
        trans_id=trans_id,
        short_code=str(data.get("BusinessShortCode") or "")[:16],
        bill_ref=str(data.get("BillRefNumber") or "").strip()[:40],
        amount=amount.quantize(Decimal("0.01")),
        msisdn=str(data.get("MSISDN") or "")[:32],
        payer_name=" ".join(str(n) for n in names if n)[:120],
        paid_at=paid_at,
    )


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def whole_shillings(amount: Decimal, currency: str) -> int:
    if currency != "KES" or amount != amount.to_integral_value():
        raise ProviderRejectedError("M-Pesa takes whole Kenya shillings.")
    return int(amount)


def msisdn(phone_number: str | None) -> str:
    """E.164 (+2547…) → Daraja's 2547…"""
    if not phone_number:
        raise ProviderRejectedError("M-Pesa needs a phone number.")
    return phone_number.lstrip("+")


class MpesaProvider:
    name = "mpesa"
    verifies_charges = True  # the STK push query
    # Daraja's Transaction Status API answers B2C queries on a callback, not in the response, so a B2C result is
    # authenticated only by the unguessable token in its callback URL (checked before `parse_webhook`).
    verifies_transfers = False
    signs_webhooks = False
    charge_maximums: Mapping[str, Decimal] = {"KES": STK_PUSH_MAXIMUM}
    charge_query_reports_amount = False

    def __init__(self, config: MpesaConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout)

    # --- OAuth ------------------------------------------------------------------------------------------------

    @property
    def _token_cache_key(self) -> str:
        return "mpesa-token:" + hashlib.sha256(self.config.consumer_key.encode()).hexdigest()[:16]

    def _token(self) -> str:
        token: str | None = cache.get(self._token_cache_key)
        if token:
            return token
        status, body = send(
            self.client,
            "GET",
            f"{self.config.base_url}/oauth/v1/generate",
            params={"grant_type": "client_credentials"},
            auth=(self.config.consumer_key, self.config.consumer_secret),
        )
        if status >= 400 or "access_token" not in body:
            raise ProviderError("M-Pesa refused our credentials.")
        lifetime = int(body.get("expires_in", 3599))
        access_token: str = body["access_token"]
        cache.set(self._token_cache_key, access_token, timeout=max(lifetime - 60, 1))
        return access_token

    def _call(self, path: str, payload: Mapping[str, Any], *, read_5xx: bool = False) -> tuple[int, dict[str, Any]]:
        for attempt in range(2):
            status, body = send(
                self.client,
                "POST",
                f"{self.config.base_url}{path}",
                read_5xx=read_5xx,
                json=dict(payload),
                headers={"Authorization": f"Bearer {self._token()}"},
            )
            if status == 401 and attempt == 0:  # a token revoked before its time: fetch a fresh one, once
                cache.delete(self._token_cache_key)
                continue
            return status, body
        return status, body

    def _stk_auth(self) -> dict[str, str]:
        timestamp = datetime.now(NAIROBI).strftime("%Y%m%d%H%M%S")
        return {
            "BusinessShortCode": self.config.shortcode,
            "Password": stk_password(self.config.shortcode, self.config.passkey, timestamp),
            "Timestamp": timestamp,
        }

    # --- paybill (C2B) ---------------------------------------------------------------------------------------

    def register_c2b_urls(self, *, confirmation_url: str, validation_url: str) -> dict[str, Any]:
        """Tell Daraja where our paybill's confirmations (and validations, when Safaricom enables them) go.
        `Completed`: if our validation URL cannot be reached, M-Pesa completes the payment anyway."""
        status, body = self._call(
            "/mpesa/c2b/v1/registerurl",
            {
                "ShortCode": self.config.shortcode,
                "ResponseType": "Completed",
                "ConfirmationURL": confirmation_url,
                "ValidationURL": validation_url,
            },
        )
        if status >= 400 or str(body.get("ResponseCode")) != "0":
            raise ProviderRejectedError(body.get("errorMessage") or f"M-Pesa refused the URLs ({status}).")
        return body

    # --- charges (STK push) -----------------------------------------------------------------------------------

    def initialize_charge(self, request: ChargeRequest) -> ChargeInitiated:
        phone = msisdn(request.phone_number)
        status, body = self._call(
            "/mpesa/stkpush/v1/processrequest",
            {
                **self._stk_auth(),
                "TransactionType": self.config.transaction_type,
                "Amount": whole_shillings(request.amount, request.currency),
                "PartyA": phone,
                "PartyB": self.config.shortcode,
                "PhoneNumber": phone,
                "CallBackURL": request.callback_url,
                "AccountReference": request.reference[:12],
                "TransactionDesc": request.description[:100],
            },
        )
        if str(body.get("ResponseCode")) == "0":
            return ChargeInitiated(
                reference=request.reference,
                status=PaymentStatus.PENDING,
                provider_reference=body.get("CheckoutRequestID"),
                message=body.get("CustomerMessage") or body.get("ResponseDescription", ""),
                raw=body,
            )
        return ChargeInitiated(
            reference=request.reference,
            status=PaymentStatus.FAILED,
            message=body.get("errorMessage") or body.get("ResponseDescription") or f"M-Pesa refused ({status}).",
            raw=body,
        )

    def verify_charge(self, *, reference: str, provider_reference: str | None = None) -> ChargeResult:
        if not provider_reference:
            return ChargeResult(reference=reference, status=PaymentStatus.FAILED, message="No STK push was made.")
        _, body = self._call(
            "/mpesa/stkpushquery/v1/query",
            {**self._stk_auth(), "CheckoutRequestID": provider_reference},
            read_5xx=True,
        )
        if body.get("errorCode") == STILL_PROCESSING:
            return ChargeResult(reference=reference, status=PaymentStatus.PENDING, message=body.get("errorMessage", ""))
        if "ResultCode" not in body:
            raise ProviderError(body.get("errorMessage") or "M-Pesa did not say how the payment ended.")
        succeeded = str(body["ResultCode"]) == "0"
        return ChargeResult(
            reference=reference,
            status=PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED,
            provider_reference=provider_reference,
            message=body.get("ResultDesc", ""),
            raw=body,
        )

    # --- payouts (B2C) ----------------------------------------------------------------------------------------

    def resolve_account(self, *, account_number: str, bank_code: str) -> ResolvedAccount:
        raise ProviderRejectedError("M-Pesa pays phone numbers; bank accounts are not supported")

    def create_transfer_recipient(
        self, *, name: str, account_number: str, bank_code: str, currency: str
    ) -> TransferRecipient:
        raise ProviderRejectedError("M-Pesa pays phone numbers; bank accounts are not supported")

    def transfer(self, request: TransferRequest) -> TransferResult:
        status, body = self._call(
            "/mpesa/b2c/v1/paymentrequest",
            {
                "InitiatorName": self.config.initiator_name,
                "SecurityCredential": self.config.security_credential,
                "CommandID": self.config.b2c_command_id,
                "Amount": whole_shillings(request.amount, request.currency),
                "PartyA": self.config.b2c_shortcode,
                "PartyB": msisdn(request.phone_number),
                "Remarks": request.reason[:100],
                "QueueTimeOutURL": request.callback_url,
                "ResultURL": request.callback_url,
                "Occasion": request.reference[:100],
            },
        )
        if str(body.get("ResponseCode")) == "0":
            return TransferResult(
                reference=request.reference,
                status=PaymentStatus.PENDING,
                provider_reference=body.get("ConversationID"),
                message=body.get("ResponseDescription", ""),
                raw=body,
            )
        return TransferResult(
            reference=request.reference,
            status=PaymentStatus.FAILED,
            message=body.get("errorMessage") or body.get("ResponseDescription") or f"M-Pesa refused ({status}).",
            raw=body,
        )

    def verify_transfer(self, *, reference: str, provider_reference: str | None = None) -> TransferResult:
        """Daraja's transaction-status query answers on a callback, not here: report pending and wait for it."""
        return TransferResult(
            reference=reference,
            status=PaymentStatus.PENDING,
            provider_reference=provider_reference,
            message="M-Pesa answers B2C status queries by callback.",
        )

    # --- callbacks --------------------------------------------------------------------------------------------

    def parse_webhook(self, *, headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise ValueError("M-Pesa callback is not JSON") from exc
        if isinstance(payload, dict) and "stkCallback" in (payload.get("Body") or {}):
            return [_stk_event(payload)]
        if isinstance(payload, dict) and isinstance(payload.get("Result"), dict):
            return [_b2c_event(payload)]
        raise ValueError("not an STK callback or a B2C result")


def _stk_event(payload: dict[str, Any]) -> WebhookEvent:
    callback = payload["Body"]["stkCallback"]
    items = {item.get("Name"): item.get("Value") for item in (callback.get("CallbackMetadata") or {}).get("Item", [])}
    succeeded = str(callback.get("ResultCode")) == "0"
    phone = items.get("PhoneNumber")
    return WebhookEvent(
        event_id=f"stk:{callback['CheckoutRequestID']}",
        kind=EventKind.CHARGE,
        reference=None,
        status=PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED,
        amount=Decimal(str(items["Amount"])).quantize(Decimal("0.01")) if items.get("Amount") is not None else None,
        currency="KES",
        provider_reference=callback["CheckoutRequestID"],
        phone_number=f"+{phone}" if phone else None,
        message=callback.get("ResultDesc", ""),
        raw=payload,
        receipt_code=_receipt_code(items.get("MpesaReceiptNumber")),
    )


def _b2c_event(payload: dict[str, Any]) -> WebhookEvent:
    result = payload["Result"]
    parameters = (result.get("ResultParameters") or {}).get("ResultParameter", [])
    values = {p.get("Key"): p.get("Value") for p in parameters} if isinstance(parameters, list) else {}
    amount = values.get("TransactionAmount")
    return WebhookEvent(
        event_id=f"b2c:{result['ConversationID']}",
        kind=EventKind.TRANSFER,
        reference=None,
        status=PaymentStatus.SUCCEEDED if str(result.get("ResultCode")) == "0" else PaymentStatus.FAILED,
        amount=Decimal(str(amount)).quantize(Decimal("0.01")) if amount is not None else None,
        currency="KES",
        provider_reference=result["ConversationID"],
        message=result.get("ResultDesc", ""),
        raw=payload,
        receipt_code=_receipt_code(values.get("TransactionReceipt") or result.get("TransactionID")),
    )


def _receipt_code(value: object) -> str | None:
    """Daraja's receipt code (ten letters and digits, e.g. `NLJ7RT61SV`), or None when the payload has none that
    looks like one: it is shown to the payer and searched by staff, never trusted for money."""
    code = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return code if code.isascii() and code.isalnum() and 0 < len(code) <= 32 else None


def from_settings() -> MpesaProvider:
    return MpesaProvider(
        MpesaConfig(
            consumer_key=settings.MPESA_CONSUMER_KEY,
            consumer_secret=settings.MPESA_CONSUMER_SECRET,
            shortcode=settings.MPESA_SHORTCODE,
            passkey=settings.MPESA_PASSKEY,
            b2c_shortcode=settings.MPESA_B2C_SHORTCODE,
            initiator_name=settings.MPESA_INITIATOR_NAME,
            security_credential=settings.MPESA_SECURITY_CREDENTIAL,
            base_url=settings.MPESA_BASE_URL,
        )
    )
