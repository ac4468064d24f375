import uuid
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from payments.models import IdempotencyRecord, LedgerTransaction, Transfer
from payments.selectors import find_user_by_handle, wallet_balance
from payments.services.idempotency import purge_expired_idempotency_records
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/wallet/transfer/"


@pytest.fixture
def sender():
    user = UserFactory()
    fund_wallet(user, "1000.00")
    return user


@pytest.fixture
def recipient():
    return UserFactory(email="chidi@example.com", phone_number="+2348031234567")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user
    return client


def send(client, body, key=None, pin=True):
    """POST a transfer; `pin=True` enters the PIN first, a string sends that token as it is."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4())}
    if pin:
        headers["HTTP_X_PIN_TOKEN"] = pin_token(client.user) if pin is True else pin
    return client.post(URL, body, **headers)


@pytest.mark.parametrize("handle", ["chidi@example.com", " CHIDI@Example.COM ", "+2348031234567", "id"])
def test_transfer_by_email_phone_or_id(sender, recipient, handle, ledger_is_clean):
    handle = str(recipient.pk) if handle == "id" else handle
    response = send(client_for(sender), {"amount": "250.00", "currency": "KES", "recipient": handle, "note": "rent"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "status", "amount", "currency"} <= set(body)
    assert (body["status"], body["amount"], body["currency"]) == ("completed", "250.00", "KES")
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("750.00")
    assert wallet_balance(user_id=recipient.pk, currency="KES") == Decimal("250.00")


def test_wallet_and_history_show_the_transfer(sender, recipient):
    send(client_for(sender), {"amount": "100.00", "currency": "KES", "recipient": recipient.email})
    wallets = client_for(sender).get("/api/v1/wallet/").json()
    assert wallets == {"wallets": [{"currency": "KES", "balance": "900.00"}]}
    history = client_for(sender).get("/api/v1/wallet/transactions/", {"kind": "transfer"}).json()
    assert history["count"] == 1
    (row,) = history["results"]
    assert (row["kind"], row["amount"], row["balance_after"]) == ("transfer", "-100.00", "900.00")
    assert client_for(sender).get("/api/v1/wallet/transactions/", {"kind": "deposit"}).json()["count"] == 0
    assert client_for(recipient).get("/api/v1/wallet/transactions/").json()["results"][0]["amount"] == "100.00"


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("0", "KES", "amount"),
        ("-10.00", "KES", "amount"),
        ("10.001", "KES", "amount"),
        ("10.5", "UGX", "amount"),
        ("2000000000.00", "KES", "amount"),
        ("abc", "KES", "amount"),
        (12.5, "KES", "amount"),
        ("10.00", "EUR", "currency"),
    ],
)
def test_bad_amounts_are_400_and_move_nothing(sender, recipient, amount, currency, field):
    before = LedgerTransaction.objects.count()
    response = send(client_for(sender), {"amount": amount, "currency": currency, "recipient": recipient.email})
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    assert LedgerTransaction.objects.count() == before
    assert not IdempotencyRecord.objects.exists()


def test_insufficient_funds(sender, recipient, ledger_is_clean):
    response = send(client_for(sender), {"amount": "1000.01", "currency": "KES", "recipient": recipient.email})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert Transfer.objects.count() == 0


def test_currency_without_a_wallet_is_insufficient_funds(sender, recipient):
    response = send(client_for(sender), {"amount": "10.00", "currency": "NGN", "recipient": recipient.email})
    assert response.json()["error"]["code"] == "insufficient_funds"


def test_unknown_recipient_and_self_transfer(sender):
    response = send(client_for(sender), {"amount": "1.00", "currency": "KES", "recipient": "nobody@example.com"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "recipient_not_found"
    response = send(client_for(sender), {"amount": "1.00", "currency": "KES", "recipient": sender.email})
    assert response.status_code == 400 and response.json()["error"]["code"] == "self_transfer"


def test_unverified_email_and_missing_pin_are_refused(recipient):
    unverified = UserFactory(is_verified=False)
    fund_wallet(unverified, "100.00")
    body = {"amount": "1.00", "currency": "KES", "recipient": recipient.email}
    response = send(client_for(unverified), body)
    assert response.status_code == 403 and response.json()["error"]["code"] == "email_not_verified"
    verified = UserFactory()
    fund_wallet(verified, "100.00")
    response = send(client_for(verified), body, pin=None)
    assert response.status_code == 403 and response.json()["error"]["code"] == "pin_required"
    assert Transfer.objects.count() == 0


def test_requires_authentication(recipient):
    response = APIClient().post(URL, {"amount": "1.00", "currency": "KES", "recipient": recipient.email})
    assert response.status_code == 401


# --- Idempotency-Key --------------------------------------------------------------------------------------------


def test_missing_idempotency_key_is_400(sender, recipient):
    response = client_for(sender).post(URL, {"amount": "1.00", "currency": "KES", "recipient": recipient.email})
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"


def test_over_long_idempotency_key_is_400(sender, recipient):
    body = {"amount": "1.00", "currency": "KES", "recipient": recipient.email}
    response = send(client_for(sender), body, key="k" * 256)
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"


def test_replay_returns_the_first_answer_and_moves_money_once(sender, recipient, ledger_is_clean):
    client = client_for(sender)
    body = {"amount": "300.00", "currency": "KES", "recipient": recipient.email}
    first = send(client, body, key="same-key")
    again = send(client, body, key="same-key", pin="already-spent-token")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Transfer.objects.count() == 1
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("700.00")


def test_same_key_with_another_body_is_422(sender, recipient):
    client = client_for(sender)
    send(client, {"amount": "300.00", "currency": "KES", "recipient": recipient.email}, key="k2")
    response = send(client, {"amount": "301.00", "currency": "KES", "recipient": recipient.email}, key="k2")
    assert response.status_code == 422 and response.json()["error"]["code"] == "idempotency_key_reused"
    assert Transfer.objects.count() == 1


def test_keys_are_scoped_to_the_caller(sender, recipient, ledger_is_clean):
    other = UserFactory()
    fund_wallet(other, "500.00")
    body = {"amount": "100.00", "currency": "KES", "recipient": recipient.email}
    assert send(client_for(sender), body, key="shared").status_code == 201
    assert send(client_for(other), body, key="shared").status_code == 201
    assert Transfer.objects.count() == 2


def test_an_error_stores_nothing_so_the_key_can_be_retried(sender, recipient, ledger_is_clean):
    client = client_for(sender)
    body = {"amount": "1500.00", "currency": "KES", "recipient": recipient.email}
    assert send(client, body, key="retry-me").status_code == 422
    fund_wallet(sender, "600.00")
    assert send(client, body, key="retry-me").status_code == 201
    assert Transfer.objects.count() == 1


def test_an_expired_key_runs_again(sender, recipient, ledger_is_clean):
    client = client_for(sender)
    body = {"amount": "100.00", "currency": "KES", "recipient": recipient.email}
    with time_machine.travel("2026-11-01 09:00Z"):
        assert send(client, body, key="old").status_code == 201
    with time_machine.travel("2026-11-01 20:00Z"):
        assert send(client, body, key="old")["Idempotent-Replayed"] == "true"
    with time_machine.travel("2026-11-02 09:01Z"):
        response = send(client, body, key="old")
        assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Transfer.objects.count() == 2


def test_purge_job_deletes_expired_records(sender, recipient):
    with time_machine.travel("2026-11-01 09:00Z"):
        send(client_for(sender), {"amount": "1.00", "currency": "KES", "recipient": recipient.email})
    with time_machine.travel("2026-11-01 10:00Z"):
        assert purge_expired_idempotency_records() == 0
    with time_machine.travel("2026-11-02 10:00Z"):
        assert purge_expired_idempotency_records() == 1


@pytest.mark.postgres
def test_the_recipient_by_email_is_found_through_the_unique_index(recipient):
    """A case-blind match (UPPER(email)) has no index and read every user on every transfer."""
    with CaptureQueriesContext(connection) as captured:
        assert find_user_by_handle("Chidi@Example.com") == recipient
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index" in plan and "Seq Scan" not in plan, plan
