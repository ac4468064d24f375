"""Bill orders under real concurrency (PostgreSQL): the wallet lock lets exactly as many orders through as the
balance affords; the purchase goes out after each commit; the books stay clean."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billpay.models import BillOrder, OrderStatus, SandboxBillTransaction
from billpay.providers.vtpass.sandbox import DELIVERS_PHONE, PREPAID_METER
from billpay.services import complete_sandbox_transaction, place_order, sync_catalog
from core.errors import ApplicationError
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet
from tests.fixtures.threads import run_threads

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_orders_against_a_wallet_that_affords_three():
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "3000.00", "NGN")

    def buy(index: int):
        try:
            order = place_order(user=buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="1000")
        except ApplicationError as exc:
            return exc.code
        return str(order.pk)  # autocommit: the purchase ran on commit, in this thread

    results = run_threads(10, buy)
    assert results.count("insufficient_funds") == 7, results
    assert BillOrder.objects.count() == 3
    assert set(BillOrder.objects.values_list("status", flat=True)) == {OrderStatus.DELIVERED}
    assert SandboxBillTransaction.objects.count() == 3
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("0.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_api_orders_against_a_wallet_that_affords_three():
    """Through `POST bills/orders/` as the SPA sends them: each with its own key and PIN token, all at once."""
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "3000.00", "NGN")
    tokens = [pin_token(buyer) for _ in range(10)]

    def buy(index: int):
        client = APIClient()
        client.force_authenticate(user=buyer)
        response = client.post(
            "/api/v1/bills/orders/",
            {"service": "mtn", "customer_id": DELIVERS_PHONE, "amount": "1000.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=tokens[index],
        )
        body = response.json()
        return response.status_code, body.get("status") or body["error"]["code"]

    results = run_threads(10, buy)
    assert results.count((201, "delivered")) == 3, results  # the purchase ran after commit, inside each request
    assert results.count((422, "insufficient_funds")) == 7, results
    assert SandboxBillTransaction.objects.count() == 3
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("0.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_sent_concurrently_buys_once():
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "5000.00", "NGN")
    key = str(uuid.uuid4())
    tokens = [pin_token(buyer) for _ in range(5)]

    def buy(index: int):
        client = APIClient()
        client.force_authenticate(user=buyer)
        response = client.post(
            "/api/v1/bills/orders/",
            {"service": "ikeja-electric-prepaid", "customer_id": PREPAID_METER, "amount": "1000.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key,
            HTTP_X_PIN_TOKEN=tokens[index],
        )
        return response.status_code, response.json().get("status") or response.json()["error"]["code"]

    results = run_threads(5, buy)
    # a replay that lands after the first request committed, while its purchase is still with the provider, is
    # told `pending` (as the API documents: follow the order); the first request itself answers `delivered`
    allowed = {(201, "delivered"), (201, "pending"), (409, "idempotency_key_in_use")}
    assert all(result in allowed for result in results), results
    assert (201, "delivered") in results
    assert BillOrder.objects.count() == 1 and SandboxBillTransaction.objects.count() == 1
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("4000.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_the_answer_and_its_replay_say_what_the_purchase_came_to():
    """Outside a test transaction, as in production: the 201 already says `delivered` with the token; a replay of
    the key answers the order as it is now (here, after a reversal)."""
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "5000.00", "NGN")
    client = APIClient()
    client.force_authenticate(user=buyer)
    key = str(uuid.uuid4())
    body = {"service": "ikeja-electric-prepaid", "customer_id": PREPAID_METER, "amount": "2000.00"}
    first = client.post(
        "/api/v1/bills/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_PIN_TOKEN=pin_token(buyer)
    )
    assert first.status_code == 201 and first.json()["status"] == "delivered" and first.json()["token"]

    complete_sandbox_transaction(request_id=first.json()["request_id"], outcome="reversed")  # calls back at once
    replay = client.post(
        "/api/v1/bills/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_PIN_TOKEN=pin_token(buyer)
    )
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"] and replay.json()["status"] == "reversed"
    assert replay.json()["refunded"] is True
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("5000.00")
    assert ledger_discrepancies() == []
