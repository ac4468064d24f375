"""The Paystack adapter against Paystack's documented payloads, over a mocked transport."""

import hashlib
import hmac
import json
from decimal import Decimal

import httpx
import pytest
import respx

from payments.providers.base import (
    ChargeRequest,
    EventKind,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    TransferRequest,
    WebhookSignatureError,
)
from payments.providers.paystack.adapter import PaystackConfig, PaystackProvider

BASE = "https://api.paystack.co"
SECRET = "sk_test_abc123"


@pytest.fixture
def paystack():
    return PaystackProvider(PaystackConfig(secret_key=SECRET))


def signed(payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {"X-Paystack-Signature": hmac.new(SECRET.encode(), body, hashlib.sha512).hexdigest()}


@respx.mock
def test_initialize_sends_kobo_and_returns_the_checkout(paystack):
    route = respx.post(f"{BASE}/transaction/initialize").respond(
        200,
        json={
            "status": True,
            "message": "Authorization URL created",
            "data": {
                "authorization_url": "https://checkout.paystack.com/0peioxfhpn",
                "access_code": "0peioxfhpn",
                "reference": "PMJ-1",
            },
        },
    )
    result = paystack.initialize_charge(
        ChargeRequest(reference="PMJ-1", amount=Decimal("5000.50"), currency="NGN", email="a@b.co", callback_url="x")
    )
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert json.loads(sent.content) == {
        "email": "a@b.co",
        "amount": 500050,
        "currency": "NGN",
        "reference": "PMJ-1",
        "callback_url": "x",
        "metadata": {},
    }
    assert result.status == PaymentStatus.PENDING
    assert result.authorization_url == "https://checkout.paystack.com/0peioxfhpn"
    assert result.provider_reference == "0peioxfhpn"


@respx.mock
@pytest.mark.parametrize(
    ("status", "expected"),
    [("success", PaymentStatus.SUCCEEDED), ("abandoned", PaymentStatus.FAILED), ("ongoing", PaymentStatus.PENDING)],
)
def test_verify_maps_status_and_amount(paystack, status, expected):
    respx.get(f"{BASE}/transaction/verify/PMJ-1").respond(
        200,
        json={
            "status": True,
            "message": "Verification successful",
            "data": {
                "id": 4099260516,
                "status": status,
                "reference": "PMJ-1",
                "amount": 40333,
                "currency": "NGN",
                "gateway_response": "Successful",
                "authorization": {"authorization_code": "AUTH_pmx3mgawyd", "last4": "4081", "reusable": True},
            },
        },
    )
    result = paystack.verify_charge(reference="PMJ-1")
    assert (result.status, result.amount, result.currency) == (expected, Decimal("403.33"), "NGN")
    assert result.authorization["authorization_code"] == "AUTH_pmx3mgawyd"


@respx.mock
def test_resolve_recipient_and_transfer(paystack):
    resolve = respx.get(f"{BASE}/bank/resolve").respond(
        200,
        json={"status": True, "data": {"account_number": "0001234567", "account_name": "Doe Jane", "bank_id": 9}},
    )
    recipient = respx.post(f"{BASE}/transferrecipient").respond(
        201, json={"status": True, "data": {"recipient_code": "RCP_m7ljkv8leesep7p", "type": "nuban"}}
    )
    transfer = respx.post(f"{BASE}/transfer").respond(
        200,
        json={
            "status": True,
            "message": "Transfer has been queued",
            "data": {
                "reference": "PMJ-WD-1",
                "status": "pending",
                "transfer_code": "TRF_1ptvuv321ahaa7q",
                "amount": 200000,
                "currency": "NGN",
            },
        },
    )
    account = paystack.resolve_account(account_number="0001234567", bank_code="058")
    assert account.account_name == "Doe Jane"
    assert dict(resolve.calls.last.request.url.params) == {"account_number": "0001234567", "bank_code": "058"}
    code = paystack.create_transfer_recipient(
        name="Doe Jane", account_number="0001234567", bank_code="058", currency="NGN"
    )
    assert code.recipient_code == "RCP_m7ljkv8leesep7p"
    assert json.loads(recipient.calls.last.request.content)["type"] == "nuban"
    result = paystack.transfer(
        TransferRequest(
            reference="PMJ-WD-1",
            amount=Decimal("2000.00"),
            currency="NGN",
            reason="withdrawal",
            callback_url="x",
            recipient_code="RCP_m7ljkv8leesep7p",
        )
    )
    assert json.loads(transfer.calls.last.request.content) == {
        "source": "balance",
        "amount": 200000,
        "recipient": "RCP_m7ljkv8leesep7p",
        "reason": "withdrawal",
        "reference": "PMJ-WD-1",
        "currency": "NGN",
    }
    assert (result.status, result.provider_reference) == (PaymentStatus.PENDING, "TRF_1ptvuv321ahaa7q")


@respx.mock
def test_refusal_is_provider_rejected(paystack):
    respx.get(f"{BASE}/bank/resolve").respond(
        422, json={"status": False, "message": "Could not resolve account name. Check parameters or try again."}
    )
    with pytest.raises(ProviderRejectedError, match="Could not resolve account name"):
        paystack.resolve_account(account_number="0000000000", bank_code="058")


@respx.mock
@pytest.mark.parametrize("failure", [httpx.ConnectTimeout("slow"), httpx.Response(502, text="Bad gateway")])
def test_timeouts_and_5xx_are_provider_errors(paystack, failure):
    respx.get(f"{BASE}/transaction/verify/PMJ-1").mock(side_effect=[failure])
    with pytest.raises(ProviderError):
        paystack.verify_charge(reference="PMJ-1")


@pytest.mark.parametrize(
    ("event", "kind", "status"),
    [
        ("charge.success", EventKind.CHARGE, PaymentStatus.SUCCEEDED),
        ("transfer.success", EventKind.TRANSFER, PaymentStatus.SUCCEEDED),
        ("transfer.failed", EventKind.TRANSFER, PaymentStatus.FAILED),
        ("transfer.reversed", EventKind.TRANSFER, PaymentStatus.REVERSED),
    ],
)
def test_signed_webhooks_parse(paystack, event, kind, status):
    body, headers = signed(
        {
            "event": event,
            "data": {
                "id": 302961,
                "reference": "PMJ-1",
                "amount": 10000,
                "currency": "NGN",
                "status": "success",
                "transfer_code": "TRF_x",
            },
        }
    )
    (parsed,) = paystack.parse_webhook(headers=headers, body=body)
    assert (parsed.kind, parsed.status, parsed.reference) == (kind, status, "PMJ-1")
    assert parsed.amount == Decimal("100.00") and parsed.event_id == f"{event}:302961"


@pytest.mark.parametrize("headers", [{}, {"x-paystack-signature": "deadbeef"}])
def test_forged_or_missing_signature(paystack, headers):
    body, _ = signed({"event": "charge.success", "data": {"id": 1}})
    with pytest.raises(WebhookSignatureError):
        paystack.parse_webhook(headers=headers, body=body)


def test_a_body_changed_after_signing_is_refused(paystack):
    body, headers = signed({"event": "charge.success", "data": {"id": 1, "amount": 100}})
    with pytest.raises(WebhookSignatureError):
        paystack.parse_webhook(headers=headers, body=body.replace(b"100", b"900"))


def test_other_events_are_ignored(paystack):
    body, headers = signed({"event": "subscription.create", "data": {"id": 1}})
    assert paystack.parse_webhook(headers=headers, body=body) == []
