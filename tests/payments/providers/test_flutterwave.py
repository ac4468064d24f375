"""The Flutterwave v3 adapter against its documented payloads, over a mocked transport."""

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
from payments.providers.flutterwave.adapter import FlutterwaveConfig, FlutterwaveProvider

BASE = "https://api.flutterwave.com/v3"


@pytest.fixture
def flutterwave():
    return FlutterwaveProvider(FlutterwaveConfig(secret_key="FLWSECK_TEST-x", secret_hash="my-hash"))


@respx.mock
def test_initialize_returns_the_hosted_link(flutterwave):
    route = respx.post(f"{BASE}/payments").respond(
        200,
        json={
            "status": "success",
            "message": "Hosted Link",
            "data": {"link": "https://checkout.flutterwave.com/v3/hosted/pay/f524c1196ffda5556341"},
        },
    )
    result = flutterwave.initialize_charge(
        ChargeRequest(
            reference="PMJ-2",
            amount=Decimal("2500.00"),
            currency="KES",
            email="a@b.co",
            callback_url="https://app/return",
            phone_number="+254712345678",
        )
    )
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["Authorization"] == "Bearer FLWSECK_TEST-x"
    assert (sent["tx_ref"], sent["amount"], sent["currency"], sent["redirect_url"]) == (
        "PMJ-2",
        "2500.00",
        "KES",
        "https://app/return",
    )
    assert sent["customer"] == {"email": "a@b.co", "phonenumber": "+254712345678"}
    assert result.authorization_url.endswith("f524c1196ffda5556341")


@respx.mock
def test_verify_by_id_checks_the_reference(flutterwave):
    respx.get(f"{BASE}/transactions/288200108/verify").respond(
        200,
        json={
            "status": "success",
            "message": "Transaction fetched successfully",
            "data": {
                "id": 288200108,
                "tx_ref": "PMJ-2",
                "flw_ref": "FLW-MOCK-1",
                "amount": 2500,
                "currency": "KES",
                "status": "successful",
                "processor_response": "Approved",
            },
        },
    )
    result = flutterwave.verify_charge(reference="PMJ-2", provider_reference="288200108")
    assert (result.status, result.amount, result.currency) == (PaymentStatus.SUCCEEDED, Decimal("2500.00"), "KES")
    other = flutterwave.verify_charge(reference="PMJ-OTHER", provider_reference="288200108")
    assert other.status == PaymentStatus.FAILED  # someone else's transaction is never a success for us


@respx.mock
def test_verify_by_reference_when_no_id(flutterwave):
    route = respx.get(f"{BASE}/transactions/verify_by_reference").respond(
        200,
        json={
            "status": "success",
            "data": {"id": 1, "tx_ref": "PMJ-2", "amount": 10, "currency": "KES", "status": "pending"},
        },
    )
    assert flutterwave.verify_charge(reference="PMJ-2").status == PaymentStatus.PENDING
    assert route.calls.last.request.url.params["tx_ref"] == "PMJ-2"


@respx.mock
def test_resolve_and_transfer(flutterwave):
    respx.post(f"{BASE}/accounts/resolve").respond(
        200, json={"status": "success", "data": {"account_number": "0690000032", "account_name": "Pastor Bright"}}
    )
    route = respx.post(f"{BASE}/transfers").respond(
        200,
        json={
            "status": "success",
            "message": "Transfer Queued Successfully",
            "data": {"id": 190626, "reference": "PMJ-WD-2", "amount": 5500, "currency": "NGN", "status": "NEW"},
        },
    )
    assert flutterwave.resolve_account(account_number="0690000032", bank_code="044").account_name == "Pastor Bright"
    result = flutterwave.transfer(
        TransferRequest(
            reference="PMJ-WD-2",
            amount=Decimal("5500.00"),
            currency="NGN",
            reason="withdrawal",
            callback_url="https://cb",
            bank_code="044",
            account_number="0690000032",
            account_name="Pastor Bright",
        )
    )
    sent = json.loads(route.calls.last.request.content)
    assert (sent["account_bank"], sent["account_number"], sent["amount"], sent["reference"]) == (
        "044",
        "0690000032",
        "5500.00",
        "PMJ-WD-2",
    )
    assert (result.status, result.provider_reference) == (PaymentStatus.PENDING, "190626")


@respx.mock
def test_errors(flutterwave):
    respx.post(f"{BASE}/accounts/resolve").respond(
        400, json={"status": "error", "message": "Sorry, recipient account could not be validated"}
    )
    with pytest.raises(ProviderRejectedError, match="could not be validated"):
        flutterwave.resolve_account(account_number="1", bank_code="044")
    respx.get(f"{BASE}/transfers/1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderError):
        flutterwave.verify_transfer(reference="PMJ-WD-2", provider_reference="1")


def test_webhooks_need_the_secret_hash(flutterwave):
    body = json.dumps(
        {
            "event": "charge.completed",
            "data": {"id": 285959875, "tx_ref": "PMJ-2", "amount": 100, "currency": "NGN", "status": "successful"},
        }
    ).encode()
    (event,) = flutterwave.parse_webhook(headers={"verif-hash": "my-hash"}, body=body)
    assert (event.kind, event.status, event.reference, event.provider_reference) == (
        EventKind.CHARGE,
        PaymentStatus.SUCCEEDED,
        "PMJ-2",
        "285959875",
    )
    for headers in ({}, {"verif-hash": "not-it"}):
        with pytest.raises(WebhookSignatureError):
            flutterwave.parse_webhook(headers=headers, body=body)


def test_transfer_completed_and_ignored_events(flutterwave):
    body = json.dumps(
        {
            "event": "transfer.completed",
            "event.type": "Transfer",
            "data": {
                "id": 9,
                "reference": "PMJ-WD-2",
                "amount": 5500,
                "currency": "NGN",
                "status": "FAILED",
                "complete_message": "DISBURSE FAILED: Insufficient funds",
            },
        }
    ).encode()
    (event,) = flutterwave.parse_webhook(headers={"verif-hash": "my-hash"}, body=body)
    assert (event.kind, event.status, event.message) == (
        EventKind.TRANSFER,
        PaymentStatus.FAILED,
        "DISBURSE FAILED: Insufficient funds",
    )
    other = json.dumps({"event": "subscription.cancelled", "data": {}}).encode()
    assert flutterwave.parse_webhook(headers={"verif-hash": "my-hash"}, body=other) == []
