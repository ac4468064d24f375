"""Bill payments through the API, as the SPA drives them: the catalog, verification, orders and every outcome,
receipts, the token again, beneficiaries and "buy again", the wallet history, VTPass's callback and the sandbox's
control surface. Every money test ends with the books clean."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import PinToken
from billpay import breaker
from billpay.jobs import requery_pending_orders
from billpay.models import Beneficiary, BillOrder, OrderStatus, SandboxBillTransaction
from billpay.providers.vtpass.sandbox import (
    DELIVERS_PHONE,
    PENDING_NUMBER,
    PREPAID_METER,
    SMARTCARD,
    TIMEOUT_NUMBER,
)
from core.models import ProcessedEvent, WebhookDelivery
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

CALLBACK = "/api/v1/webhooks/vtpass/vtpass-sandbox-callback/"


@pytest.fixture
def buyer(catalog):
    user = UserFactory()
    fund_wallet(user, "20000.00", "NGN")
    return user


@pytest.fixture
def client(buyer) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=buyer)
    return client


@pytest.fixture
def notified(monkeypatch):
    sent = []
    monkeypatch.setattr("billpay.services.orders.notify", lambda **kwargs: sent.append(kwargs))
    return sent


def money_headers(user, key: str | None = None) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}


def buy(client, user, captured, *, key=None, path="/api/v1/bills/orders/", **body):
    """POST an order and run what follows its commit (the purchase); the order as the API shows it afterwards."""
    with captured(execute=True):
        response = client.post(path, body, format="json", **money_headers(user, key))
    if response.status_code != 201:
        return response
    return client.get(f"/api/v1/bills/orders/{response.json()['id']}/")


def balance(user) -> Decimal:
    return wallet_balance(user_id=user.pk, currency="NGN")


def requery_all(captured):
    BillOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    with captured(execute=True):
        requery_pending_orders()


# --- the catalog ------------------------------------------------------------------------------------------------


def test_services_are_listed_from_our_tables_without_calling_the_provider(client, monkeypatch):
    def no_calls(*args, **kwargs):
        raise AssertionError("the catalog list called the provider")

    monkeypatch.setattr("billpay.providers.vtpass.sandbox.VTPassSandbox._serve", no_calls)
    listed = client.get("/api/v1/bills/services/?page_size=100").json()
    ids = {service["id"] for service in listed["results"]}
    assert {"mtn", "9mobile", "ikeja-electric-prepaid", "ikeja-electric-postpaid", "dstv", "gotv"} <= ids
    mtn = next(service for service in listed["results"] if service["id"] == "mtn")
    assert mtn["category"] == "airtime" and mtn["currency"] == "NGN" and mtn["has_variations"] is False
    assert mtn["needs_verification"] is False and mtn["min_amount"]

    tv = client.get("/api/v1/bills/services/?category=tv").json()["results"]
    assert tv and {service["category"] for service in tv} == {"tv"}
    assert all(service["has_variations"] and service["needs_verification"] for service in tv)
    assert client.get("/api/v1/bills/services/?category=games").status_code == 400


def test_variations_of_a_service(client):
    bouquets = client.get("/api/v1/bills/services/dstv/variations/").json()
    assert {"code": "dstv-padi", "name": "DStv Padi N4,400", "amount": "4400.00"} in bouquets
    assert [Decimal(b["amount"]) for b in bouquets] == sorted(Decimal(b["amount"]) for b in bouquets)
    missing = client.get("/api/v1/bills/services/no-such-thing/variations/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_verify_a_meter_and_a_smartcard(client):
    meter = client.post("/api/v1/bills/verify/", {"service": "ikeja-electric-prepaid", "customer_id": PREPAID_METER})
    assert meter.status_code == 200, meter.json()
    assert meter.json()["customer_id"] == PREPAID_METER and meter.json()["customer_name"]
    card = client.post("/api/v1/bills/verify/", {"service": "dstv", "customer_id": SMARTCARD})
    assert card.status_code == 200 and card.json()["details"]

    unknown = client.post("/api/v1/bills/verify/", {"service": "dstv", "customer_id": "9999999999"})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "bill_customer_invalid"
    airtime = client.post("/api/v1/bills/verify/", {"service": "mtn", "customer_id": "08011111111"})
    assert airtime.status_code == 400 and airtime.json()["error"]["code"] == "validation_error"
    malformed = client.post("/api/v1/bills/verify/", {"service": "dstv", "customer_id": "12-34"})
    assert malformed.status_code == 400 and "customer_id" in malformed.json()["error"]["details"]


# --- orders: every outcome ---------------------------------------------------------------------------------------


def test_electricity_delivered_with_token(client, buyer, notified, django_capture_on_commit_callbacks):
    order = buy(
        client,
        buyer,
        django_capture_on_commit_callbacks,
        service="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="5000.00",
    ).json()
    assert order["status"] == "delivered" and order["refunded"] is False
    assert order["token"] and order["units"] and order["customer_name"]
    assert order["request_id"][:12] == timezone.now().astimezone(timezone.get_fixed_timezone(60)).strftime("%Y%m%d%H%M")
    assert balance(buyer) == Decimal("15000.00")
    assert [n["event"] for n in notified] == ["bill_delivered"] and order["token"] == notified[0]["context"]["token"]
    assert ledger_discrepancies() == []


def test_the_first_answer_says_what_the_purchase_came_to(client, buyer):
    """Outside a test transaction the purchase runs right after the hold commits, inside the same request: the
    201 already says `delivered` (and a replay of the key says what the order is now)."""
    from django.db import connection

    assert connection.in_atomic_block  # here the test's transaction holds the commit back ...
    response = client.post(
        "/api/v1/bills/orders/",
        {"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100"},
        format="json",
        **money_headers(buyer),
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"  # ... so it is still pending


def test_failed_purchase_is_refunded_at_once(client, buyer, notified, django_capture_on_commit_callbacks):
    order = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id="08099999999", amount="500"
    ).json()
    assert order["status"] == "failed" and order["refunded"] is True
    assert balance(buyer) == Decimal("20000.00")
    assert [n["event"] for n in notified] == ["bill_refunded"]
    assert ledger_discrepancies() == []


def test_pending_then_delivered_through_the_sandbox_control_and_its_callback(
    client, buyer, django_capture_on_commit_callbacks
):
    order = buy(
        client,
        buyer,
        django_capture_on_commit_callbacks,
        service="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    ).json()
    assert order["status"] == "pending" and balance(buyer) == Decimal("18000.00")
    assert ledger_discrepancies() == []

    completed = APIClient().post(
        f"/sandbox/vtpass/transactions/{order['request_id']}/complete/", {"outcome": "delivered"}, format="json"
    )
    assert completed.status_code == 200 and completed.json()["status"] == "delivered"
    # the sandbox told our callback URL, which requeried and settled the order
    now = client.get(f"/api/v1/bills/orders/{order['id']}/").json()
    assert now["status"] == "delivered" and now["token"]
    assert WebhookDelivery.objects.filter(provider="vtpass").count() == 1
    assert balance(buyer) == Decimal("18000.00")
    assert ledger_discrepancies() == []


def test_pending_then_failed_is_refunded(client, buyer, django_capture_on_commit_callbacks):
    order = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id=PENDING_NUMBER, amount="300"
    ).json()
    response = APIClient().post(
        f"/sandbox/vtpass/transactions/{order['request_id']}/complete/", {"outcome": "failed"}, format="json"
    )
    assert response.status_code == 200
    now = client.get(f"/api/v1/bills/orders/{order['id']}/").json()
    assert now["status"] == "failed" and now["refunded"] is True
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


def test_the_sandbox_control_refuses_what_it_does_not_know(client):
    unknown = APIClient().post("/sandbox/vtpass/transactions/nope/complete/", {"outcome": "delivered"}, format="json")
    assert unknown.status_code == 404
    bad = APIClient().post("/sandbox/vtpass/transactions/nope/complete/", {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


def test_timeout_then_the_requery_finds_it_delivered_charged_once(client, buyer, django_capture_on_commit_callbacks):
    order = buy(
        client,
        buyer,
        django_capture_on_commit_callbacks,
        service="ikeja-electric-prepaid",
        customer_id=TIMEOUT_NUMBER,
        amount="1000",
    ).json()
    assert order["status"] == "pending"
    requery_all(django_capture_on_commit_callbacks)
    now = client.get(f"/api/v1/bills/orders/{order['id']}/").json()
    assert now["status"] == "delivered"
    assert SandboxBillTransaction.objects.count() == 1  # one purchase at the provider
    assert balance(buyer) == Decimal("19000.00")
    assert ledger_discrepancies() == []


def test_reversal_after_delivery_refunds_once(client, buyer, django_capture_on_commit_callbacks):
    order = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id=DELIVERS_PHONE, amount="100"
    ).json()
    assert order["status"] == "delivered"
    sandbox = APIClient()
    for _ in range(2):
        response = sandbox.post(
            f"/sandbox/vtpass/transactions/{order['request_id']}/complete/", {"outcome": "reversed"}, format="json"
        )
        assert response.status_code == 200
    requery_all(django_capture_on_commit_callbacks)
    now = client.get(f"/api/v1/bills/orders/{order['id']}/").json()
    assert now["status"] == "reversed" and now["refunded"] is True
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


# --- the callback ------------------------------------------------------------------------------------------------


def _callback_body(request_id: str, status: str = "delivered") -> bytes:
    return json.dumps(
        {
            "type": "transaction-update",
            "data": {
                "code": "000",
                "requestId": request_id,
                "content": {"transactions": {"status": status, "transactionId": "17415980564672211596777904"}},
            },
        }
    ).encode()


def test_the_callback_replayed_five_times_changes_nothing_after_the_first(
    client, buyer, django_capture_on_commit_callbacks, monkeypatch
):
    order = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id=PENDING_NUMBER, amount="300"
    ).json()
    # staff at the provider delivered it; the update arrives (the sandbox's own callback is kept out of this test)
    monkeypatch.setattr("billpay.providers.vtpass.sandbox.VTPassSandbox._announce", lambda self, record: None)
    APIClient().post(f"/sandbox/vtpass/transactions/{order['request_id']}/complete/", {"outcome": "delivered"})
    assert client.get(f"/api/v1/bills/orders/{order['id']}/").json()["status"] == "pending"

    body = _callback_body(order["request_id"])
    answers = [APIClient().post(CALLBACK, data=body, content_type="application/json") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 6 and answers[0].json() == {"response": "success"}
    assert list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "delivered",
        *["duplicate"] * 5,
    ]
    assert ProcessedEvent.objects.filter(provider="vtpass").count() == 1
    order_row = BillOrder.objects.get(pk=order["id"])
    assert order_row.status == OrderStatus.DELIVERED and order_row.settle_transaction_id is not None
    assert balance(buyer) == Decimal("19700.00")
    assert ledger_discrepancies() == []


def test_a_forged_callback_cannot_settle_what_the_provider_did_not_deliver(
    client, buyer, django_capture_on_commit_callbacks
):
    order = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id=PENDING_NUMBER, amount="300"
    ).json()
    forged = APIClient().post(CALLBACK, data=_callback_body(order["request_id"]), content_type="application/json")
    assert forged.status_code == 200  # acknowledged, but the requery said "still processing"
    assert BillOrder.objects.get(pk=order["id"]).status == OrderStatus.PENDING
    assert not ProcessedEvent.objects.filter(provider="vtpass").exists()  # acted on again if it comes again

    wrong_url = APIClient().post(
        "/api/v1/webhooks/vtpass/guess/", data=_callback_body(order["request_id"]), content_type="application/json"
    )
    assert wrong_url.status_code == 401 and wrong_url.json()["error"]["code"] == "signature_invalid"
    assert WebhookDelivery.objects.filter(outcome="unknown_callback_token").count() == 1
    unreadable = APIClient().post(CALLBACK, data=b"[1, 2", content_type="application/json")
    assert unreadable.status_code == 400
    other_kind = APIClient().post(
        CALLBACK, data=json.dumps({"type": "variations-update", "data": {}}), content_type="application/json"
    )
    assert other_kind.status_code == 200
    assert ledger_discrepancies() == []


# --- never twice, never without a PIN, never on bad input --------------------------------------------------------


def test_one_idempotency_key_posted_twice_is_one_order(client, buyer, django_capture_on_commit_callbacks):
    key = str(uuid.uuid4())
    body = {"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100"}
    first = buy(client, buyer, django_capture_on_commit_callbacks, key=key, **body).json()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/api/v1/bills/orders/", body, format="json", **money_headers(buyer, key))
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"] and again.json()["status"] == "delivered"  # what it is now
    assert BillOrder.objects.count() == 1 and SandboxBillTransaction.objects.count() == 1
    assert balance(buyer) == Decimal("19900.00")
    other = client.post("/api/v1/bills/orders/", {**body, "amount": "200"}, format="json", **money_headers(buyer, key))
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_an_order_needs_a_pin_token(client, buyer):
    response = client.post(
        "/api/v1/bills/orders/",
        {"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "pin_required"
    assert BillOrder.objects.count() == 0 and balance(buyer) == Decimal("20000.00")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"service": "no-such-service", "customer_id": DELIVERS_PHONE, "amount": "100"}, 404, None),
        ({"service": "dstv", "customer_id": SMARTCARD, "variation": "gotv-max"}, 400, "variation"),
        ({"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "1"}, 400, "amount"),
        ({"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "9000000"}, 400, "amount"),
        ({"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100.005"}, 400, "amount"),
        ({"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": 100.5}, 400, "amount"),
        ({"service": "mtn", "customer_id": "0801", "amount": "100"}, 400, "customer_id"),
        ({"service": "mtn", "customer_id": "+44 20 7946 0958", "amount": "100"}, 400, "customer_id"),
        ({"service": "mtn", "customer_id": "08011111112345", "amount": "100"}, 400, "customer_id"),
        ({"service": "ikeja-electric-prepaid", "customer_id": "11-11", "amount": "1000"}, 400, "customer_id"),
        ({"service": "dstv", "customer_id": "12121212121212121212121", "variation": "dstv-padi"}, 400, "customer_id"),
        ({"service": "dstv", "customer_id": SMARTCARD}, 400, "variation"),
        ({"service": "ikeja-electric-prepaid", "customer_id": PREPAID_METER}, 400, "amount"),
        ({"customer_id": DELIVERS_PHONE, "amount": "100"}, 400, "service"),
    ],
)
def test_bad_input_is_refused_and_debits_nothing(client, buyer, body, status, field):
    token = pin_token(buyer)
    response = client.post(
        "/api/v1/bills/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_X_PIN_TOKEN=token
    )
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    if field:
        assert error["code"] == "validation_error" and field in error["details"], error
    assert BillOrder.objects.count() == 0 and balance(buyer) == Decimal("20000.00")
    assert PinToken.objects.filter(used_at__isnull=True).count() == 1  # the token was not spent
    assert ledger_discrepancies() == []


def test_more_than_the_wallet_holds_is_insufficient_funds(client, buyer):
    response = client.post(
        "/api/v1/bills/orders/",
        {"service": "ikeja-electric-prepaid", "customer_id": PREPAID_METER, "amount": "25000"},
        format="json",
        **money_headers(buyer),
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert BillOrder.objects.count() == 0 and balance(buyer) == Decimal("20000.00")


def test_a_provider_down_answers_provider_unavailable_and_debits_nothing(
    client, buyer, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BILLPAY_BREAKER_THRESHOLD = 2
    settings.BILLPAY_BREAKER_COOLDOWN = 60
    clock = [1_000_000.0]
    monkeypatch.setattr(breaker, "_now", lambda: clock[0])
    for _ in range(2):  # two purchases with no answer in a row
        buy(
            client,
            buyer,
            django_capture_on_commit_callbacks,
            service="ikeja-electric-prepaid",
            customer_id=TIMEOUT_NUMBER,
            amount="1000",
        )
    spent = balance(buyer)
    refused = client.post(
        "/api/v1/bills/orders/",
        {"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100"},
        format="json",
        **money_headers(buyer),
    )
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "provider_unavailable"
    assert balance(buyer) == spent and BillOrder.objects.count() == 2

    clock[0] += 61  # the cool-down is over: the next order is the probe, and its answer closes the breaker
    probe = buy(
        client, buyer, django_capture_on_commit_callbacks, service="mtn", customer_id=DELIVERS_PHONE, amount="100"
    )
    assert probe.json()["status"] == "delivered" and not breaker.is_open("vtpass")
    requery_all(django_capture_on_commit_callbacks)  # the two in flight are found delivered
    assert set(BillOrder.objects.values_list("status", flat=True)) == {OrderStatus.DELIVERED}
    assert ledger_discrepancies() == []


# --- history, receipts, the token again ---------------------------------------------------------------------------


def test_history_with_filters_and_other_users_orders_hidden(client, buyer, django_capture_on_commit_callbacks):
    captured = django_capture_on_commit_callbacks
    delivered = buy(client, buyer, captured, service="mtn", customer_id=DELIVERS_PHONE, amount="100").json()
    failed = buy(client, buyer, captured, service="mtn", customer_id="08099999999", amount="100").json()
    tv = buy(client, buyer, captured, service="dstv", customer_id=SMARTCARD, variation="dstv-padi").json()
    assert tv["amount"] == "4400.00" and tv["variation"] == "dstv-padi"

    listed = client.get("/api/v1/bills/orders/").json()
    assert [o["id"] for o in listed["results"]] == [tv["id"], failed["id"], delivered["id"]]
    assert [o["id"] for o in client.get("/api/v1/bills/orders/?status=failed").json()["results"]] == [failed["id"]]
    assert [o["id"] for o in client.get("/api/v1/bills/orders/?category=tv").json()["results"]] == [tv["id"]]
    assert len(client.get("/api/v1/bills/orders/?service=mtn").json()["results"]) == 2

    stranger = APIClient()
    stranger.force_authenticate(user=UserFactory())
    assert stranger.get(f"/api/v1/bills/orders/{tv['id']}/").status_code == 404
    assert stranger.get("/api/v1/bills/orders/").json()["count"] == 0
    assert stranger.get(f"/api/v1/bills/orders/{tv['id']}/receipt/").status_code == 404


def test_the_order_shows_in_the_wallet_history_with_its_status(client, buyer, django_capture_on_commit_callbacks):
    captured = django_capture_on_commit_callbacks
    pending = buy(client, buyer, captured, service="mtn", customer_id=PENDING_NUMBER, amount="300").json()
    failed = buy(client, buyer, captured, service="mtn", customer_id="08099999999", amount="200").json()
    rows = client.get("/api/v1/wallet/transactions/?currency=NGN").json()["results"]
    by_reference = {}
    for row in rows:
        by_reference.setdefault(row["reference"], []).append(row)
    [pending_row] = by_reference[pending["id"]]
    assert pending_row["kind"] == "bill" and pending_row["amount"] == "-300.00" and pending_row["status"] == "pending"
    assert sorted(r["status"] for r in by_reference[failed["id"]]) == ["completed", "refunded"]
    pending_only = client.get("/api/v1/wallet/transactions/?status=pending").json()["results"]
    assert [r["reference"] for r in pending_only] == [pending["id"]]


def test_receipt_as_json_and_pdf(client, buyer, django_capture_on_commit_callbacks):
    order = buy(
        client,
        buyer,
        django_capture_on_commit_callbacks,
        service="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="3000",
    ).json()
    receipt = client.get(f"/api/v1/bills/orders/{order['id']}/receipt/").json()
    assert receipt["receipt_number"] == order["id"] and receipt["token"] == order["token"]
    assert receipt["amount"] == "3000.00" and receipt["status"] == "delivered" and receipt["provider_reference"]
    pdf = client.get(f"/api/v1/bills/orders/{order['id']}/receipt/?format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    missing = client.get(f"/api/v1/bills/orders/{uuid.uuid4()}/receipt/?format=pdf")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_token_is_sent_again_only_when_there_is_one(client, buyer, notified, django_capture_on_commit_callbacks):
    captured = django_capture_on_commit_callbacks
    power = buy(client, buyer, captured, service="ikeja-electric-prepaid", customer_id=PREPAID_METER, amount="1000")
    airtime = buy(client, buyer, captured, service="mtn", customer_id=DELIVERS_PHONE, amount="100")
    notified.clear()
    again = client.post(f"/api/v1/bills/orders/{power.json()['id']}/token/resend/")
    assert again.status_code == 202 and again.json()["token"] == power.json()["token"]
    assert [n["event"] for n in notified] == ["bill_token"] and power.json()["token"] == notified[0]["context"]["token"]
    none = client.post(f"/api/v1/bills/orders/{airtime.json()['id']}/token/resend/")
    assert none.status_code == 409 and none.json()["error"]["code"] == "bill_order_state"


# --- beneficiaries ---------------------------------------------------------------------------------------------------


def test_beneficiaries_and_buy_again(client, buyer, django_capture_on_commit_callbacks):
    saved = client.post(
        "/api/v1/bills/beneficiaries/", {"label": "Mum's phone", "service": "mtn", "customer_id": "08011111111"}
    )
    assert saved.status_code == 201, saved.json()
    assert saved.json()["customer_id"] == "+2348011111111" and saved.json()["service"] == "mtn"
    twice = client.post(
        "/api/v1/bills/beneficiaries/", {"label": "Mum", "service": "mtn", "customer_id": "+2348011111111"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"
    bad = client.post("/api/v1/bills/beneficiaries/", {"label": "Shop", "service": "dstv", "customer_id": "+234801"})
    assert bad.status_code == 400

    beneficiary_id = saved.json()["id"]
    renamed = client.patch(f"/api/v1/bills/beneficiaries/{beneficiary_id}/", {"label": "Mama"})
    assert renamed.status_code == 200 and renamed.json()["label"] == "Mama"
    assert [b["label"] for b in client.get("/api/v1/bills/beneficiaries/").json()["results"]] == ["Mama"]

    order = buy(
        client,
        buyer,
        django_capture_on_commit_callbacks,
        path=f"/api/v1/bills/beneficiaries/{beneficiary_id}/orders/",
        amount="250",
    ).json()
    assert order["status"] == "delivered" and order["customer_id"] == "+2348011111111" and order["service"] == "mtn"
    assert balance(buyer) == Decimal("19750.00")

    stranger = APIClient()
    stranger.force_authenticate(user=UserFactory())
    assert stranger.get(f"/api/v1/bills/beneficiaries/{beneficiary_id}/").status_code == 404
    assert stranger.delete(f"/api/v1/bills/beneficiaries/{beneficiary_id}/").status_code == 404
    assert client.get(f"/api/v1/bills/beneficiaries/{2**70}/").status_code == 404
    assert client.delete(f"/api/v1/bills/beneficiaries/{beneficiary_id}/").status_code == 204
    assert not Beneficiary.objects.exists()
    assert ledger_discrepancies() == []
