"""What PostgreSQL itself guarantees, whatever code runs: append-only entries, balanced transactions, no overdraft
under concurrency, and one effect per Idempotency-Key."""

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from payments.models import (
    AccountKind,
    Charge,
    LedgerEntry,
    LedgerTransaction,
    SandboxPayment,
    TransactionKind,
    Transfer,
)
from payments.selectors import ledger_discrepancies, wallet_balance
from payments.services import Leg, get_house_account, get_wallet, post_transaction, start_deposit
from payments.tasks import submit_withdrawal
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet, paystack_webhook
from tests.fixtures.threads import run_threads

pytestmark = [pytest.mark.postgres]


def raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def posted(db):
    wallet = fund_wallet(UserFactory(), "100.00")
    return LedgerTransaction.objects.get(entries__account=wallet)


@pytest.mark.django_db
def test_update_of_an_entry_fails(posted):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE payments_ledgerentry SET amount = amount * 2 WHERE transaction_id = %s", [posted.pk])


@pytest.mark.django_db
def test_delete_of_an_entry_fails(posted):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM payments_ledgerentry WHERE transaction_id = %s", [posted.pk])


@pytest.mark.django_db
def test_update_and_delete_of_a_transaction_fail(posted):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("UPDATE payments_ledgertransaction SET memo = 'edited' WHERE id = %s", [posted.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw("DELETE FROM payments_ledgertransaction WHERE id = %s", [posted.pk])


def _insert_transaction(key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_ledgertransaction (kind, idempotency_key, reference, memo, metadata) "
            "VALUES ('adjustment', %s, '', '', '{}') RETURNING id",
            [key],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transaction_fails_at_commit():
    wallet = get_wallet(user_id=UserFactory().pk, currency="KES")

    def post_unbalanced():
        with transaction.atomic():
            tx = _insert_transaction("raw-unbalanced")
            raw(
                "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount) "
                "VALUES (%s, %s, 50), (%s, %s, 25)",
                [tx, wallet.pk, tx, wallet.pk],
            )

    with pytest.raises(DatabaseError, match="does not balance"):
        post_unbalanced()
    assert not LedgerTransaction.objects.filter(idempotency_key="raw-unbalanced").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transaction_with_one_entry_fails_at_commit():
    with pytest.raises(DatabaseError, match="at least two"), transaction.atomic():
        _insert_transaction("raw-empty")


@pytest.mark.django_db(transaction=True)
def test_entries_cannot_join_a_committed_transaction(posted):
    wallet = get_wallet(user_id=UserFactory().pk, currency="KES")
    with pytest.raises(DatabaseError, match="database transaction that created it"), transaction.atomic():
        raw(
            "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, 5), (%s, %s, -5)",
            [posted.pk, wallet.pk, posted.pk, wallet.pk],
        )


@pytest.mark.django_db(transaction=True)
def test_a_balanced_raw_posting_commits():
    a = get_wallet(user_id=UserFactory().pk, currency="KES")
    b = get_wallet(user_id=UserFactory().pk, currency="KES")
    with transaction.atomic():
        tx = _insert_transaction("raw-balanced")
        raw(
            "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount) VALUES (%s, %s, 5), (%s, %s, -5)",
            [tx, a.pk, tx, b.pk],
        )
    assert LedgerEntry.objects.filter(transaction_id=tx).count() == 2


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_spending_sixty_percent_of_one_wallet_only_one_wins():
    spender = UserFactory()
    fund_wallet(spender, "1000.00")
    recipients = [UserFactory() for _ in range(20)]
    tokens = [pin_token(spender) for _ in range(20)]

    def spend(index: int) -> int:
        client = APIClient()
        client.force_authenticate(user=spender)
        response = client.post(
            "/api/v1/wallet/transfer/",
            {"amount": "600.00", "currency": "KES", "recipient": recipients[index].email},
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=tokens[index],
        )
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_threads(20, spend)
    assert sorted(results, key=str).count((201, None)) == 1, results
    assert results.count((422, "insufficient_funds")) == 19, results
    assert wallet_balance(user_id=spender.pk, currency="KES") == Decimal("400.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_one_idempotency_key_sent_concurrently_moves_money_once():
    spender, recipient = UserFactory(), UserFactory()
    fund_wallet(spender, "1000.00")
    key = str(uuid.uuid4())
    tokens = [pin_token(spender) for _ in range(8)]

    def send(index: int):
        client = APIClient()
        client.force_authenticate(user=spender)
        response = client.post(
            "/api/v1/wallet/transfer/",
            {"amount": "100.00", "currency": "KES", "recipient": recipient.email},
            HTTP_IDEMPOTENCY_KEY=key,
            HTTP_X_PIN_TOKEN=tokens[index],
        )
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_threads(8, send)
    assert all(r in {(201, None), (409, "idempotency_key_in_use")} for r in results), results
    assert (201, None) in results
    assert Transfer.objects.count() == 1
    assert wallet_balance(user_id=spender.pk, currency="KES") == Decimal("900.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_one_key_posted_concurrently_between_house_accounts_posts_once():
    """House accounts take no lock, so the key's unique index alone decides: the losers wait for the winner's
    commit and return its posting."""
    fees = get_house_account(kind=AccountKind.FEE_INCOME, currency="KES")
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    legs = [Leg(fees, Decimal("-5.00")), Leg(suspense, Decimal("5.00"))]

    def post(index: int):
        return post_transaction(kind=TransactionKind.ADJUSTMENT, legs=legs, idempotency_key="house-once").pk

    results = run_threads(8, post)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    assert LedgerTransaction.objects.filter(idempotency_key="house-once").count() == 1
    assert LedgerEntry.objects.filter(transaction_id=results[0]).count() == 2
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_crossing_transfers_do_not_deadlock():
    a, b = UserFactory(), UserFactory()
    wallet_a, wallet_b = fund_wallet(a, "1000.00"), fund_wallet(b, "1000.00")

    def move(index: int):
        source, target = (wallet_a, wallet_b) if index % 2 else (wallet_b, wallet_a)
        for n in range(10):
            post_transaction(
                kind="transfer",
                legs=[Leg(source, Decimal("-1.00")), Leg(target, Decimal("1.00"))],
                idempotency_key=f"cross:{index}:{n}",
            )
        return "ok"

    assert run_threads(6, move) == ["ok"] * 6
    assert wallet_balance(user_id=a.pk, currency="KES") + wallet_balance(user_id=b.pk, currency="KES") == Decimal(
        "2000.00"
    )
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_mixing_transfers_and_withdrawals_only_one_wins(settings, monkeypatch):
    settings.PROVIDERS_SANDBOX = True
    monkeypatch.setattr(submit_withdrawal, "delay", lambda *args, **kwargs: None)  # the provider call: not here
    spender = UserFactory()
    fund_wallet(spender, "1000.00")
    recipients = [UserFactory() for _ in range(20)]
    tokens = [pin_token(spender) for _ in range(20)]

    def spend(index: int):
        client = APIClient()
        client.force_authenticate(user=spender)
        headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": tokens[index]}
        if index % 2:
            body = {"amount": "600.00", "currency": "KES", "recipient": recipients[index].email}
            response = client.post("/api/v1/wallet/transfer/", body, **headers)
        else:
            body = {"amount": "600", "currency": "KES", "phone_number": "+254712345678"}
            response = client.post("/api/v1/wallet/withdraw/", body, **headers)
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_threads(20, spend)
    assert results.count((201, None)) == 1, results
    assert results.count((422, "insufficient_funds")) == 19, results
    assert wallet_balance(user_id=spender.pk, currency="KES") in {Decimal("400.00"), Decimal("385.00")}
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_one_paystack_event_delivered_concurrently_credits_once(settings):
    settings.PROVIDERS_SANDBOX = True
    member = UserFactory()
    charge = start_deposit(user=member, amount=Decimal("800.00"), currency="NGN", provider="paystack")
    SandboxPayment.objects.filter(reference=charge.reference).update(status="succeeded")  # what verification finds
    body, headers = paystack_webhook(
        {
            "event": "charge.success",
            "data": {"id": 7, "reference": charge.reference, "amount": 80000, "currency": "NGN", "status": "success"},
        }
    )

    def deliver(_index: int) -> int:
        return (
            APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers).status_code
        )

    assert run_threads(10, deliver) == [200] * 10
    assert Charge.objects.get(pk=charge.pk).status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("800.00")
    assert ledger_discrepancies() == []
