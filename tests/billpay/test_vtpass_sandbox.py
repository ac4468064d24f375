"""VTPass's sandbox: the real adapter over an in-process VTPass that answers VTPass's own test numbers."""

from decimal import Decimal

import httpx
import pytest

from billpay.errors import (
    BillCustomerInvalidError,
    SandboxOutcomeInvalidError,
    SandboxTransactionNotFoundError,
    SandboxTransactionStateError,
)
from billpay.models import SandboxBillTransaction
from billpay.providers.base import BillStatus, PurchaseRequest
from billpay.providers.registry import get_bill_provider
from billpay.providers.vtpass.adapter import VTPassProvider
from billpay.providers.vtpass.sandbox import VTPassSandbox
from billpay.services import complete_sandbox_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(settings):
    settings.PROVIDERS_SANDBOX = True
    provider = get_bill_provider()
    assert isinstance(provider, VTPassSandbox)
    return provider


def buy(sandbox, number: str, *, service_id="mtn", amount="100", variation_code="", phone="08011111111"):
    request_id = sandbox.new_request_id()
    result = sandbox.pay(
        PurchaseRequest(
            request_id=request_id,
            service_id=service_id,
            billers_code=number,
            amount=Decimal(amount),
            phone=phone,
            variation_code=variation_code,
        )
    )
    return request_id, result


def record(request_id: str) -> SandboxBillTransaction:
    return SandboxBillTransaction.objects.get(request_id=request_id)


def test_the_registry_gives_the_real_adapter_without_sandboxes(settings):
    settings.PROVIDERS_SANDBOX = False
    settings.VTPASS_API_KEY, settings.VTPASS_PUBLIC_KEY, settings.VTPASS_SECRET_KEY = "a", "PK_b", "SK_c"
    provider = get_bill_provider()
    assert type(provider) is VTPassProvider


@pytest.mark.parametrize("phone", ["08011111111", "+2348011111111", "2348011111111"])
def test_the_test_phone_delivers_airtime_in_local_or_e164_form(sandbox, phone):
    request_id, result = buy(sandbox, phone, phone=phone)
    assert (result.status, result.code) == (BillStatus.DELIVERED, "000")
    assert result.provider_reference == record(request_id).transaction_id
    assert result.amount == Decimal("100.00")
    assert result.commission == Decimal("3.00")  # MTN airtime: 3%
    assert record(request_id).billers_code == "08011111111"


def test_a_data_plan_delivers_at_the_plan_price(sandbox):
    request_id, result = buy(sandbox, "08011111111", service_id="mtn-data", amount="1", variation_code="mtn-1gb-350")
    assert result.status == BillStatus.DELIVERED
    assert record(request_id).amount == Decimal("350.00")


def test_the_prepaid_meter_delivers_a_token_and_units(sandbox):
    request_id, result = buy(
        sandbox, "1111111111111", service_id="ikeja-electric", amount="5000", variation_code="prepaid"
    )
    assert result.status == BillStatus.DELIVERED
    assert len(result.token.replace(" ", "")) == 20 and result.token.replace(" ", "").isdigit()
    assert result.units == "23.9 kWh"
    assert result.customer_name == "TESTMETER1"
    assert result.raw["purchased_code"] == f"Token : {result.token}"
    again = sandbox.requery(request_id=request_id)
    assert (again.status, again.token) == (BillStatus.DELIVERED, result.token)


def test_the_postpaid_meter_delivers_without_a_token(sandbox):
    _, result = buy(sandbox, "1010101010101", service_id="eko-electric", amount="5000", variation_code="postpaid")
    assert (result.status, result.token) == (BillStatus.DELIVERED, "")
    assert result.raw["utilityName"] == "Eko Electric Payment - EKEDC"


def test_a_meter_paid_as_the_wrong_type_fails(sandbox):
    _, result = buy(sandbox, "1111111111111", service_id="ikeja-electric", amount="5000", variation_code="postpaid")
    assert (result.status, result.code) == (BillStatus.FAILED, "016")


def test_the_smartcard_delivers_a_bouquet(sandbox):
    request_id, result = buy(sandbox, "1212121212", service_id="dstv", amount="19000", variation_code="dstv79")
    assert result.status == BillStatus.DELIVERED
    assert record(request_id).amount == Decimal("19000.00")


def test_a_waec_pin_is_the_token(sandbox):
    _, result = buy(sandbox, "08011111111", service_id="waec", amount="3900", variation_code="waecdirect")
    assert result.status == BillStatus.DELIVERED
    assert result.token.startswith("Serial No:WRN")


def test_any_other_number_fails(sandbox):
    request_id, result = buy(sandbox, "08099999999")
    assert (result.status, result.code) == (BillStatus.FAILED, "016")
    assert sandbox.requery(request_id=request_id).status == BillStatus.FAILED


@pytest.mark.parametrize("outcome", ["delivered", "failed", "reversed"])
def test_the_pending_number_waits_for_completion(sandbox, outcome):
    request_id, result = buy(sandbox, "201000000000")
    assert (result.status, result.code) == (BillStatus.PENDING, "099")
    assert sandbox.requery(request_id=request_id).status == BillStatus.PENDING

    completed = complete_sandbox_transaction(request_id=request_id, outcome=outcome)
    assert completed.status == outcome
    assert sandbox.requery(request_id=request_id).status == BillStatus(outcome)
    assert complete_sandbox_transaction(request_id=request_id, outcome=outcome).status == outcome  # again: no-op


def test_a_delivered_purchase_can_be_reversed_but_a_failed_one_cannot_be_delivered(sandbox):
    delivered, _ = buy(sandbox, "08011111111")
    assert complete_sandbox_transaction(request_id=delivered, outcome="reversed").status == "reversed"
    failed, _ = buy(sandbox, "08099999999")
    with pytest.raises(SandboxTransactionStateError):
        complete_sandbox_transaction(request_id=failed, outcome="delivered")
    with pytest.raises(SandboxTransactionStateError):
        complete_sandbox_transaction(request_id=delivered, outcome="delivered")


def test_completion_refuses_unknown_ids_outcomes_and_a_closed_sandbox(sandbox, settings):
    with pytest.raises(SandboxTransactionNotFoundError):
        complete_sandbox_transaction(request_id="202501010000nope", outcome="delivered")
    request_id, _ = buy(sandbox, "201000000000")
    with pytest.raises(SandboxOutcomeInvalidError):
        complete_sandbox_transaction(request_id=request_id, outcome="success")
    settings.PROVIDERS_SANDBOX = False
    with pytest.raises(SandboxTransactionNotFoundError):
        complete_sandbox_transaction(request_id=request_id, outcome="delivered")
    assert record(request_id).status == "pending"


@pytest.mark.parametrize(
    ("number", "message"),
    [("300000000000", "in time"), ("400000000000", "no answer"), ("500000000000", "not JSON")],
)
def test_late_numbers_give_no_usable_answer_but_were_delivered(sandbox, number, message):
    request_id, result = buy(sandbox, number)
    assert (result.status, result.code) == (BillStatus.PENDING, "")
    assert message in result.message
    assert record(request_id).status == "delivered"
    found = sandbox.requery(request_id=request_id)
    assert (found.status, found.code) == (BillStatus.DELIVERED, "000")


def test_the_late_numbers_raise_what_the_network_would(sandbox):
    """Below the adapter, the in-process VTPass fails the way a network does."""
    client = sandbox.client
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            "https://sandbox.vtpass.com/api/pay",
            json={
                "request_id": sandbox.new_request_id(),
                "serviceID": "mtn",
                "billersCode": "300000000000",
                "amount": "100",
            },
            headers={"api-key": "k", "secret-key": "s"},
        )


def test_requery_of_an_unknown_request_id_is_not_found(sandbox):
    result = sandbox.requery(request_id="202501010000unknown")
    assert (result.status, result.code) == (BillStatus.NOT_FOUND, "015")


def test_a_request_id_sent_twice_is_refused_and_only_a_requery_tells(sandbox):
    request_id, first = buy(sandbox, "08011111111")
    again = sandbox.pay(
        PurchaseRequest(
            request_id=request_id, service_id="mtn", billers_code="08011111111", amount=Decimal("100"), phone=""
        )
    )
    assert (again.status, again.code) == (BillStatus.PENDING, "014")
    assert SandboxBillTransaction.objects.filter(request_id=request_id).count() == 1
    assert sandbox.requery(request_id=request_id).status == first.status == BillStatus.DELIVERED


@pytest.mark.parametrize(
    ("request_overrides", "code"),
    [
        ({"request_id": "abc"}, "085"),
        ({"service_id": "nope"}, "012"),
        ({"service_id": "mtn-data", "variation_code": "nope"}, "010"),
        ({"amount": Decimal("10")}, "013"),
        ({"amount": Decimal("50001")}, "017"),
    ],
)
def test_refusals_use_vtpass_codes(sandbox, request_overrides, code):
    values = {
        "request_id": sandbox.new_request_id(),
        "service_id": "mtn",
        "billers_code": "08011111111",
        "amount": Decimal("100"),
        "phone": "08011111111",
    }
    result = sandbox.pay(PurchaseRequest(**{**values, **request_overrides}))
    assert result.code == code
    assert not SandboxBillTransaction.objects.exists()


def test_requests_without_credentials_are_refused(sandbox):
    response = sandbox.client.get("https://sandbox.vtpass.com/api/service-categories")
    assert response.status_code == 401
    response = sandbox.client.post("https://sandbox.vtpass.com/api/pay", json={}, headers={"api-key": "k"})
    assert response.json()["code"] == "087"


# --- verify ---------------------------------------------------------------------------------------------------------


def test_verify_the_test_meters(sandbox):
    prepaid = sandbox.merchant_verify(service_id="ikeja-electric", customer_id="1111111111111", meter_type="prepaid")
    assert (prepaid.customer_name, prepaid.address) == ("TESTMETER1", "ABULE - EGBA BU ABULE")
    assert prepaid.details["meter_type"] == "PREPAID"
    postpaid = sandbox.merchant_verify(service_id="eko-electric", customer_id="1010101010101", meter_type="postpaid")
    assert postpaid.details["meter_type"] == "POSTPAID"
    with pytest.raises(BillCustomerInvalidError):
        sandbox.merchant_verify(service_id="ikeja-electric", customer_id="1010101010101", meter_type="prepaid")
    with pytest.raises(BillCustomerInvalidError):
        sandbox.merchant_verify(service_id="ikeja-electric", customer_id="1234567890123", meter_type="prepaid")


def test_verify_the_test_smartcard(sandbox):
    customer = sandbox.merchant_verify(service_id="gotv", customer_id="1212121212")
    assert customer.customer_name == "TEST SMARTCARD"
    assert customer.details["current_bouquet"] == "GOtv Max N8,500"
    assert customer.details["renewal_amount"] == "8500.00"
    assert customer.details["due_date"].endswith("T00:00:00")
    with pytest.raises(BillCustomerInvalidError):
        sandbox.merchant_verify(service_id="dstv", customer_id="1111111111")


def test_the_special_numbers_verify_so_their_purchases_can_be_tried(sandbox):
    assert sandbox.merchant_verify(service_id="dstv", customer_id="201000000000").customer_name
    assert sandbox.merchant_verify(service_id="ikeja-electric", customer_id="300000000000", meter_type="prepaid")


# --- catalog --------------------------------------------------------------------------------------------------------


def test_the_sandbox_serves_a_realistic_catalog(sandbox):
    identifiers = {category.identifier for category in sandbox.categories()}
    assert {"airtime", "data", "electricity-bill", "tv-subscription", "education"} <= identifiers
    assert {s.service_id for s in sandbox.services(category="airtime")} == {"mtn", "glo", "airtel", "etisalat"}
    assert {s.service_id for s in sandbox.services(category="tv-subscription")} == {
        "dstv",
        "gotv",
        "startimes",
        "showmax",
    }
    discos = sandbox.services(category="electricity-bill")
    assert len(discos) >= 11 and "ikeja-electric" in {s.service_id for s in discos}
    assert {v.code for v in sandbox.variations(service_id="ikeja-electric")} == {"prepaid", "postpaid"}
    bouquets = sandbox.variations(service_id="dstv")
    assert all(v.fixed_price and v.amount > 0 for v in bouquets)
    assert [s.service_id for s in sandbox.services(category="education")] == ["waec"]
    mtn = next(s for s in sandbox.services(category="airtime") if s.service_id == "mtn")
    assert (mtn.min_amount, mtn.max_amount) == (Decimal("50"), Decimal("50000"))
