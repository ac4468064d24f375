"""Saved-card charges and bank lists of the real Paystack and Flutterwave adapters, against the providers'
documented payloads (Paystack `POST /transaction/charge_authorization`, `GET /bank`; Flutterwave
`POST /v3/tokenized-charges`, `GET /v3/banks/{country}`), over a mocked transport."""

import json
from decimal import Decimal

import httpx
import pytest
import respx

from payments.providers.base import (
    BankDirectory,
    CardChargeRequest,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    SavedCardCharger,
)
from payments.providers.flutterwave.adapter import FlutterwaveConfig, FlutterwaveProvider
from payments.providers.paystack.adapter import PaystackConfig, PaystackProvider

PAYSTACK = "https://api.paystack.co"
FLUTTERWAVE = "https://api.flutterwave.com/v3"


@pytest.fixture
def paystack():
    return PaystackProvider(PaystackConfig(secret_key="sk_test_abc123"))


@pytest.fixture
def flutterwave():
    return FlutterwaveProvider(FlutterwaveConfig(secret_key="FLWSECK_TEST-abc", secret_hash="hash"))


def card_request(**overrides) -> CardChargeRequest:
    return CardChargeRequest(
        **{
            "reference": "PMJ-CARD-1",
            "amount": Decimal("352.47"),
            "currency": "NGN",
            "email": "amina@example.com",
            "authorization_code": "AUTH_72btv547",
            "last4": "4081",
            **overrides,
        }
    )


def paystack_charge(status="success", **data):
    """Paystack's documented answer to charge_authorization ("Charge attempted")."""
    return {
        "status": True,
        "message": "Charge attempted",
        "data": {
            "amount": 35247,
            "currency": "NGN",
            "transaction_date": "2024-08-22T10:53:49.000Z",
            "status": status,
            "reference": "PMJ-CARD-1",
            "domain": "test",
            "metadata": "",
            "gateway_response": "Approved" if status == "success" else "Declined",
            "message": None,
            "channel": "card",
            "fees": 10247,
            "authorization": {
                "authorization_code": "AUTH_72btv547",
                "bin": "408408",
                "last4": "4081",
                "exp_month": "12",
                "exp_year": "2030",
                "channel": "card",
                "card_type": "visa ",
                "bank": "TEST BANK",
                "country_code": "NG",
                "brand": "visa",
                "reusable": True,
                "signature": "SIG_yEXu7dLBeqG0kU7g95Ke",
            },
            "customer": {"id": 181873746, "email": "amina@example.com", "customer_code": "CUS_1rkzaqsv4rrhqo6"},
            "id": 4099490251,
            **data,
        },
    }


def test_the_real_adapters_charge_cards_and_list_banks(paystack, flutterwave):
    for adapter in (paystack, flutterwave):
        assert isinstance(adapter, SavedCardCharger) and isinstance(adapter, BankDirectory)


@respx.mock
def test_paystack_charge_authorization_sends_kobo_and_reads_the_outcome(paystack):
    route = respx.post(f"{PAYSTACK}/transaction/charge_authorization").respond(200, json=paystack_charge())
    result = paystack.charge_authorization(card_request(metadata={"charge_id": "c1"}))
    sent = route.calls.last.request
    assert sent.headers["Authorization"] == "Bearer sk_test_abc123"
    assert json.loads(sent.content) == {
        "authorization_code": "AUTH_72btv547",
        "email": "amina@example.com",
        "amount": 35247,
        "currency": "NGN",
        "reference": "PMJ-CARD-1",
        "metadata": {"charge_id": "c1"},
    }
    assert (result.status, result.amount, result.currency) == (PaymentStatus.SUCCEEDED, Decimal("352.47"), "NGN")
    assert result.provider_reference == "4099490251" and result.reference == "PMJ-CARD-1"


@respx.mock
@pytest.mark.parametrize(
    ("status", "expected"),
    [("failed", PaymentStatus.FAILED), ("send_otp", PaymentStatus.PENDING), ("pending", PaymentStatus.PENDING)],
)
def test_paystack_charge_authorization_statuses(paystack, status, expected):
    respx.post(f"{PAYSTACK}/transaction/charge_authorization").respond(200, json=paystack_charge(status))
    assert paystack.charge_authorization(card_request()).status == expected


@respx.mock
def test_paystack_answer_about_another_reference_is_never_final(paystack):
    respx.post(f"{PAYSTACK}/transaction/charge_authorization").respond(
        200, json=paystack_charge(reference="SOMEONE-ELSE")
    )
    assert paystack.charge_authorization(card_request()).status == PaymentStatus.PENDING


@respx.mock
def test_paystack_refusal_and_outage(paystack):
    route = respx.post(f"{PAYSTACK}/transaction/charge_authorization")
    route.respond(400, json={"status": False, "message": "Invalid authorization code"})
    with pytest.raises(ProviderRejectedError, match="Invalid authorization code"):
        paystack.charge_authorization(card_request())
    route.side_effect = httpx.ConnectTimeout("slow")
    with pytest.raises(ProviderError):
        paystack.charge_authorization(card_request())


def paystack_bank(code: str, name: str, **extra) -> dict:
    return {
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "code": code,
        "longcode": "",
        "gateway": None,
        "pay_with_bank": False,
        "active": True,
        "is_deleted": False,
        "country": "Nigeria",
        "currency": "NGN",
        "type": "nuban",
        "id": int(code) if code.isdigit() else 1,
        "createdAt": "2016-07-14T10:04:29.000Z",
        "updatedAt": "2020-02-18T08:06:44.000Z",
        **extra,
    }


@respx.mock
def test_paystack_lists_banks_of_a_country_every_page(paystack):
    route = respx.get(f"{PAYSTACK}/bank")
    route.side_effect = [
        httpx.Response(
            200,
            json={
                "status": True,
                "message": "Banks retrieved",
                "data": [paystack_bank("044", "Access Bank"), paystack_bank("999", "Gone Bank", is_deleted=True)],
                "meta": {"next": "YmFuazo0Mg==", "previous": None, "perPage": 100},
            },
        ),
        httpx.Response(
            200,
            json={
                "status": True,
                "message": "Banks retrieved",
                "data": [paystack_bank("058", "Guaranty Trust Bank"), paystack_bank("998", "Off", active=False)],
                "meta": {"next": None, "previous": "YmFuazo0Mg==", "perPage": 100},
            },
        ),
    ]
    banks = paystack.list_banks(country="NG")
    assert [(b.code, b.name) for b in banks] == [("044", "Access Bank"), ("058", "Guaranty Trust Bank")]
    first, second = (dict(call.request.url.params) for call in route.calls)
    assert first == {"country": "nigeria", "currency": "NGN", "perPage": "100", "use_cursor": "true"}
    assert second["next"] == "YmFuazo0Mg=="
    with pytest.raises(ProviderRejectedError):
        paystack.list_banks(country="ZZ")


@respx.mock
@pytest.mark.parametrize(("country", "name", "currency"), [("KE", "kenya", "KES"), ("GH", "ghana", "GHS")])
def test_paystack_names_kenya_and_ghana_in_words(paystack, country, name, currency):
    route = respx.get(f"{PAYSTACK}/bank").respond(
        200, json={"status": True, "message": "Banks retrieved", "data": [], "meta": {"next": None}}
    )
    assert paystack.list_banks(country=country) == []
    params = route.calls.last.request.url.params
    assert (params["country"], params["currency"]) == (name, currency)


def flutterwave_tokenized(status="successful", **data):
    """Flutterwave's documented answer to a tokenized charge."""
    return {
        "status": "success",
        "message": "Charge successful",
        "data": {
            "id": 1163077,
            "tx_ref": "PMJ-CARD-1",
            "flw_ref": "FLW-M03K-781621ccfe976c03515bcd07a39f3db8",
            "redirect_url": "http://127.0.0",
            "device_fingerprint": "N/A",
            "amount": 352.47,
            "charged_amount": 352.47,
            "app_fee": 4.93,
            "merchant_fee": 0,
            "processor_response": "Approved" if status == "successful" else "Declined",
            "auth_model": "noauth",
            "currency": "NGN",
            "ip": "pstmn",
            "narration": "Pamoja wallet deposit",
            "status": status,
            "payment_type": "card",
            "created_at": "2020-03-11T19:33:20.000Z",
            "account_id": 73362,
            "customer": {"id": 252759, "phone_number": "0813XXXXXXX", "name": "Amina", "email": "amina@example.com"},
            "card": {
                "first_6digits": "553188",
                "last_4digits": "2950",
                "issuer": "MASTERCARD  CREDIT",
                "country": "NG",
                "type": "MASTERCARD",
                "expiry": "09/32",
                "token": "flw-t0-d0185c6edad078c9e8304c4f78b8cd5b-m03k",
            },
            **data,
        },
    }


@respx.mock
def test_flutterwave_tokenized_charge(flutterwave):
    route = respx.post(f"{FLUTTERWAVE}/tokenized-charges").respond(200, json=flutterwave_tokenized())
    result = flutterwave.charge_authorization(card_request(authorization_code="flw-t0-d0185c6e-m03k"))
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["Authorization"] == "Bearer FLWSECK_TEST-abc"
    assert {k: sent[k] for k in ("token", "email", "amount", "currency", "tx_ref")} == {
        "token": "flw-t0-d0185c6e-m03k",
        "email": "amina@example.com",
        "amount": "352.47",
        "currency": "NGN",
        "tx_ref": "PMJ-CARD-1",
    }
    assert (result.status, result.amount, result.provider_reference) == (
        PaymentStatus.SUCCEEDED,
        Decimal("352.47"),
        "1163077",
    )
    assert result.authorization["authorization_code"] == "flw-t0-d0185c6edad078c9e8304c4f78b8cd5b-m03k"
    assert (result.authorization["last4"], result.authorization["exp_month"], result.authorization["exp_year"]) == (
        "2950",
        "09",
        "2032",
    )


@respx.mock
@pytest.mark.parametrize(("status", "expected"), [("failed", PaymentStatus.FAILED), ("pending", PaymentStatus.PENDING)])
def test_flutterwave_tokenized_charge_statuses(flutterwave, status, expected):
    respx.post(f"{FLUTTERWAVE}/tokenized-charges").respond(200, json=flutterwave_tokenized(status))
    assert flutterwave.charge_authorization(card_request()).status == expected


@respx.mock
def test_flutterwave_refuses_a_bad_token(flutterwave):
    respx.post(f"{FLUTTERWAVE}/tokenized-charges").respond(
        400, json={"status": "error", "message": "Token not found", "data": None}
    )
    with pytest.raises(ProviderRejectedError, match="Token not found"):
        flutterwave.charge_authorization(card_request())


@respx.mock
def test_flutterwave_verify_gives_the_card_as_a_reusable_authorization(flutterwave):
    data = flutterwave_tokenized()["data"]
    respx.get(f"{FLUTTERWAVE}/transactions/1163077/verify").respond(
        200, json={"status": "success", "message": "Transaction fetched successfully", "data": data}
    )
    result = flutterwave.verify_charge(reference="PMJ-CARD-1", provider_reference="1163077")
    assert result.authorization["reusable"] is True
    assert result.authorization["signature"] == "553188295009/32"
    assert result.authorization["brand"] == "mastercard"


@respx.mock
def test_flutterwave_lists_banks_of_a_country(flutterwave):
    route = respx.get(f"{FLUTTERWAVE}/banks/GH").respond(
        200,
        json={
            "status": "success",
            "message": "Banks fetched successfully",
            "data": [
                {"id": 280, "code": "280100", "name": "Access Bank Ghana"},
                {"id": 130, "code": "130100", "name": "Ecobank Ghana"},
            ],
        },
    )
    banks = flutterwave.list_banks(country="GH")
    assert [(b.code, b.name) for b in banks] == [("280100", "Access Bank Ghana"), ("130100", "Ecobank Ghana")]
    assert route.called
    with pytest.raises(ProviderRejectedError):
        flutterwave.list_banks(country="UG")
