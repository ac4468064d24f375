"""Faults, on PostgreSQL, with real commits: a worker killed in the middle of the payout job, the database
connection dropped in the middle of a posting, a provider that times out on a withdrawal and on a bill order, an
M-Pesa callback that arrives before the request that opened its charge has committed, and the broker (Redis) down.
Each ends with the books clean and every effect there once."""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from billpay.jobs import requery_pending_orders
from billpay.models import BillOrder, SandboxBillTransaction
from billpay.providers.vtpass.sandbox import TIMEOUT_NUMBER, VTPassSandbox
from billpay.services import sync_catalog
from config.celery import app as celery_app
from contributions import services as contributions
from contributions.models import Cycle, Payout
from core.models import ProcessedEvent
from groups.models import SavingsGroup
from notifications.models import Notification
from notifications.services import send_due
from payments.models import Charge, LedgerTransaction, SandboxPayment, Transfer, Withdrawal
from payments.providers import sandbox as payments_sandbox
from payments.providers.base import ProviderError
from payments.providers.sandbox import ProviderSandbox
from payments.selectors import ledger_discrepancies, wallet_balance
from payments.services import reconciliation, transfers
from payments.services import webhooks as payment_webhooks
from payments.services.withdrawals import submit_withdrawal_to_provider
from tests.factories import UserFactory, pin_token
from tests.fixtures.groups import at
from tests.fixtures.money import fund_wallet
from tests.payments.test_deposits import stk_callback

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def money_headers(user, key: str | None = None, token: str | None = None) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": key or str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": token or pin_token(user)}


def make_stale(model) -> None:
    """Older than reconciliation's 15 minutes, so the sweep looks at it."""
    model.objects.update(created_at=timezone.now() - timedelta(minutes=16))


# --- 1. a worker killed in the middle of the payout job ----------------------------------------------------------

KILLED_WORKER = """
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from contributions.models import Payout
from contributions.services import payouts
from groups.models import SavingsGroup


def killed(**kwargs):
    # called inside the payout's transaction, after its posting and Payout row: the worker dies right here
    print(f"payouts written, uncommitted: {Payout.objects.count()}", flush=True)
    os._exit(137)


payouts.notify = killed
with time_machine.travel(datetime(2027, 1, 7, 10, tzinfo=ZoneInfo("Africa/Lagos")), tick=False):
    payouts.run_payouts(group=SavingsGroup.objects.get(pk="{group_id}"))
print("not killed", flush=True)
"""


def test_a_worker_killed_in_the_middle_of_the_payout_job_then_rerun_pays_each_cycle_once(started_group):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=4, security_deposit="0.00")
        gid = group["id"]
        for person in people[1:]:  # the recipient's own share is netted on the payout date
            mine = next(c for c in person.contributions(gid) if c["cycle"] == 1)
            assert person.pay(mine["id"]).status_code == 200
    before = LedgerTransaction.objects.count()

    # A worker process (its own connection, as Celery's) runs the job and dies (os._exit) before it commits.
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}:{port}/{db['NAME']}"
    worker = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", KILLED_WORKER.replace("{group_id}", gid)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "CELERY_TASK_ALWAYS_EAGER": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 137, worker.stdout + worker.stderr
    assert "payouts written, uncommitted: 1" in worker.stdout
    assert Payout.objects.count() == 0 and LedgerTransaction.objects.count() == before  # nothing half-written
    assert Cycle.objects.get(group_id=gid, number=1).status == "open"

    # Celery redelivers the task (acks late): the job runs again, and again.
    group_row = SavingsGroup.objects.get(pk=gid)
    with at("2027-01-07T10:00"):
        assert len(contributions.run_payouts(group=group_row)) == 1
        assert contributions.run_payouts(group=group_row) == []
    assert Payout.objects.filter(cycle__group_id=gid).count() == 1
    assert list(Payout.objects.values_list("cycle__number", flat=True)) == [1]
    assert Cycle.objects.get(group_id=gid, number=1).status != "open"
    assert ledger_discrepancies() == []


# --- 2. the database connection dropped in the middle of a posting ----------------------------------------------


def drop_this_connection() -> None:
    """Terminate this thread's database session from a second connection, as a failover or a restart would."""
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.05)


def test_a_connection_dropped_in_the_middle_of_a_transfer_answers_503_and_a_retry_moves_the_money_once(monkeypatch):
    sender, recipient = UserFactory(), UserFactory()
    fund_wallet(sender, "1000.00", "KES")
    before = LedgerTransaction.objects.count()
    real_write_posting = transfers.write_posting
    dropped = []

    def write_then_drop(*args, **kwargs):
        posted = real_write_posting(*args, **kwargs)  # the entries are written, not yet committed
        dropped.append(posted.pk)
        drop_this_connection()
        return posted

    monkeypatch.setattr(transfers, "write_posting", write_then_drop)
    client = signed_in(sender)
    body = {"amount": "250.00", "currency": "KES", "recipient": recipient.email}
    headers = money_headers(sender)
    first = client.post("/api/v1/wallet/transfer/", body, format="json", **headers)

    assert dropped, "the posting was written before the connection dropped"
    assert first.status_code == 503, first.content
    error = first.json()["error"]
    assert error["code"] == "service_unavailable" and "Idempotency-Key" in error["message"]
    assert first["Retry-After"] == "1"
    # nothing half-written: no transfer, no posting, no idempotency record; balances as they were
    assert not Transfer.objects.exists() and LedgerTransaction.objects.count() == before
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("1000.00")

    monkeypatch.setattr(transfers, "write_posting", real_write_posting)
    retried = client.post("/api/v1/wallet/transfer/", body, format="json", **headers)  # the same key and PIN token
    assert retried.status_code == 201, retried.content
    again = client.post("/api/v1/wallet/transfer/", body, format="json", **headers)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == retried.json()["id"]
    assert Transfer.objects.count() == 1
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("750.00")
    assert wallet_balance(user_id=recipient.pk, currency="KES") == Decimal("250.00")
    assert ledger_discrepancies() == []


# --- 3. a provider that times out: a withdrawal and a bill order -------------------------------------------------


def test_a_withdrawal_whose_provider_times_out_is_settled_by_the_requery_and_paid_once(monkeypatch):
    member = UserFactory()
    fund_wallet(member, "10000.00", "NGN")
    client = signed_in(member)
    sent = []
    real_transfer = ProviderSandbox.transfer

    def timed_out(self, request):
        real_transfer(self, request)  # the provider took the transfer…
        sent.append(request.reference)
        raise ProviderError("The read operation timed out")  # …and its answer never came

    monkeypatch.setattr(ProviderSandbox, "transfer", timed_out)
    monkeypatch.setattr(payments_sandbox, "_complete_later", lambda record_id, outcome: None)  # no webhook: requery
    bank = client.post(
        "/api/v1/banks/",
        {"provider": "paystack", "currency": "NGN", "bank_code": "058", "account_number": "0123456789"},
        format="json",
    ).json()["id"]
    response = client.post(
        "/api/v1/wallet/withdraw/",
        {"amount": "2000.00", "currency": "NGN", "bank_account": bank},
        format="json",
        **money_headers(member),
    )
    assert response.status_code == 201, response.content
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    assert withdrawal.status == "processing" and withdrawal.submitted_at is not None and len(sent) == 1
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7950.00")  # held in flight, with the fee

    # the task runs again (a retry, a redelivery): never sent blind a second time
    assert submit_withdrawal_to_provider(withdrawal_id=withdrawal.pk) == "already_submitted"
    assert len(sent) == 1

    # still unknown at the first sweep, then the provider reports it paid: the requery settles it, once
    make_stale(Withdrawal)
    assert reconciliation.reconcile_pending_payments()["errors"] == 0
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"
    SandboxPayment.objects.filter(reference=withdrawal.reference).update(status="succeeded")
    reconciliation.reconcile_pending_payments()
    reconciliation.reconcile_pending_payments()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "succeeded"
    assert SandboxPayment.objects.filter(reference=withdrawal.reference).count() == 1  # paid out once
    assert LedgerTransaction.objects.filter(idempotency_key=f"withdrawal-settle:{withdrawal.pk}").count() == 1
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7950.00")
    assert ledger_discrepancies() == []


def test_a_bill_order_whose_provider_times_out_is_settled_by_the_requery_and_bought_once(monkeypatch):
    monkeypatch.setattr(VTPassSandbox, "_announce", lambda self, record: None)  # no callback: the requery path
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "20000.00", "NGN")
    client = signed_in(buyer)
    response = client.post(
        "/api/v1/bills/orders/",
        {"service": "ikeja-electric-prepaid", "customer_id": TIMEOUT_NUMBER, "amount": "1000"},
        format="json",
        **money_headers(buyer),
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"  # the purchase call timed out (httpx.ReadTimeout)
    order = BillOrder.objects.get(pk=response.json()["id"])
    assert order.attempts == 1 and SandboxBillTransaction.objects.count() == 1

    for _ in range(3):  # the requery job, run again and again (and by two workers at once the first time)
        BillOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
        workers = [threading.Thread(target=_requery_on_own_connection) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    order.refresh_from_db()
    assert order.status == "delivered" and order.attempts == 1
    assert SandboxBillTransaction.objects.count() == 1  # bought once at the provider
    assert LedgerTransaction.objects.filter(idempotency_key=f"bill-settle:{order.pk}").count() == 1
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("19000.00")
    assert ledger_discrepancies() == []


def _requery_on_own_connection() -> None:
    try:
        requery_pending_orders()
    finally:
        connection.close()


# --- 4. a webhook before the request that started the payment has committed --------------------------------------


def _deposit_held_open(member, client, opened: queue.Queue, callback_sent: threading.Event, hold: float) -> None:
    """The M-Pesa deposit request, in a thread of its own: the STK push goes out inside its transaction, the
    customer pays at once, and the transaction commits only `hold` seconds after the callback was sent."""
    real = ProviderSandbox.initialize_charge

    def push_then_wait(self, request):
        initiated = real(self, request)
        SandboxPayment.objects.filter(reference=request.reference).update(status="succeeded")  # PIN typed
        opened.put((request.reference, request.callback_url.rstrip("/").rsplit("/", 1)[-1], initiated))
        callback_sent.wait(timeout=30)
        time.sleep(hold)
        return initiated

    try:
        ProviderSandbox.initialize_charge = push_then_wait  # this thread only reaches it
        response = client.post(
            "/api/v1/wallet/deposit/",
            {"amount": "1500", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        opened.put(response.status_code)
    finally:
        ProviderSandbox.initialize_charge = real
        connection.close()


def _early_callback(monkeypatch, *, hold: float):
    monkeypatch.setattr(payments_sandbox, "_complete_later", lambda record_id, outcome: None)  # we call back
    member = UserFactory(phone_number="+254712345678")
    opened: queue.Queue = queue.Queue()
    callback_sent = threading.Event()
    opener = threading.Thread(target=_deposit_held_open, args=(member, signed_in(member), opened, callback_sent, hold))
    opener.start()
    reference, token, initiated = opened.get(timeout=30)
    assert not Charge.objects.filter(reference=reference).exists()  # not committed: invisible here
    charge = Charge(reference=reference, provider_reference=initiated.provider_reference, callback_token=token)
    body = stk_callback(charge, amount=1500)
    callback_sent.set()
    answer = APIClient().post(f"/api/v1/webhooks/mpesa/{token}/", body, format="json")
    opener.join(timeout=60)
    assert opened.get(timeout=1) == 201
    return member, reference, token, body, answer


def test_an_mpesa_callback_before_its_charge_commits_finds_it_and_credits_once(monkeypatch):
    member, reference, token, body, answer = _early_callback(monkeypatch, hold=0.5)
    assert answer.status_code == 200, answer.content  # it waited for the commit instead of a 401
    assert Charge.objects.get(reference=reference).status == "succeeded"
    again = APIClient().post(f"/api/v1/webhooks/mpesa/{token}/", body, format="json")
    assert again.status_code == 200
    make_stale(Charge)
    reconciliation.reconcile_pending_payments()
    assert ProcessedEvent.objects.filter(provider="mpesa").count() == 1
    assert LedgerTransaction.objects.filter(reference=reference).count() == 1
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("1500.00")
    assert ledger_discrepancies() == []


def test_an_mpesa_callback_long_before_its_charge_commits_is_503_then_redelivered_once(monkeypatch):
    monkeypatch.setattr(payment_webhooks, "EARLY_CALLBACK_WAIT", 0.3)
    member, reference, token, body, answer = _early_callback(monkeypatch, hold=1.0)
    assert answer.status_code == 503, answer.content  # Daraja (and the sandbox) deliver it again
    assert answer.json()["error"]["code"] == "service_unavailable" and answer["Retry-After"] == "5"
    assert wallet_balance(user_id=member.pk, currency="KES") == 0
    for _ in range(2):
        assert APIClient().post(f"/api/v1/webhooks/mpesa/{token}/", body, format="json").status_code == 200
    assert Charge.objects.get(reference=reference).status == "succeeded"
    assert LedgerTransaction.objects.filter(reference=reference).count() == 1
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("1500.00")
    assert ledger_discrepancies() == []


def test_forged_mpesa_callback_tokens_are_still_refused(monkeypatch):
    monkeypatch.setattr(payment_webhooks, "EARLY_CALLBACK_WAIT", 0.2)
    body = {"Body": {"stkCallback": {"CheckoutRequestID": "ws_CO_1", "ResultCode": 0}}}
    malformed = APIClient().post("/api/v1/webhooks/mpesa/not-the-token/", body, format="json")
    assert malformed.status_code == 401 and malformed.json()["error"]["code"] == "signature_invalid"
    well_shaped = APIClient().post(f"/api/v1/webhooks/mpesa/{'A' * 43}/", body, format="json")
    assert well_shaped.status_code == 503  # no payment of ours: nothing done, however often it comes
    assert not ProcessedEvent.objects.exists() and not LedgerTransaction.objects.exists()


# --- 5. the broker (Redis) down --------------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _forget_broker_connections() -> None:
    """The app's connection and producer pools are made from the broker URL on first use: made again."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _forget_broker_connections()
    conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    conf.task_always_eager = False
    yield
    _forget_broker_connections()
    conf.broker_url, conf.task_always_eager = saved


def test_with_the_broker_down_reads_and_money_moves_still_work_and_the_sweepers_catch_up(broker_down):
    member, friend = UserFactory(), UserFactory()
    fund_wallet(member, "10000.00", "NGN")
    client = signed_in(member)
    assert client.get("/api/v1/wallet/").status_code == 200
    assert client.get("/api/v1/wallet/transactions/").status_code == 200

    sent = client.post(
        "/api/v1/wallet/transfer/",
        {"amount": "500.00", "currency": "NGN", "recipient": friend.email},
        format="json",
        **money_headers(member),
    )
    assert sent.status_code == 201, sent.content
    bank = client.post(
        "/api/v1/banks/",
        {"provider": "paystack", "currency": "NGN", "bank_code": "058", "account_number": "0123456789"},
        format="json",
    ).json()["id"]
    withdrawn = client.post(
        "/api/v1/wallet/withdraw/",
        {"amount": "2000.00", "currency": "NGN", "bank_account": bank},
        format="json",
        **money_headers(member),
    )
    assert withdrawn.status_code == 201, withdrawn.content  # committed: not a 500 because its task was not queued
    withdrawal = Withdrawal.objects.get(pk=withdrawn.json()["id"])
    assert withdrawal.status == "processing" and withdrawal.submitted_at is None  # not sent yet
    assert Notification.objects.filter(dispatched_at__isnull=True).exists()  # their dispatch was not queued
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7450.00")

    # the broker is back (tasks run at once here): the sweepers find what was not queued
    _forget_broker_connections()
    celery_app.conf.task_always_eager = True
    make_stale(Withdrawal)
    reconciliation.reconcile_pending_payments()
    reconciliation.reconcile_pending_payments()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "succeeded"
    assert SandboxPayment.objects.filter(reference=withdrawal.reference).count() == 1
    send_due(now=timezone.now() + timedelta(minutes=1))
    assert not Notification.objects.filter(dispatched_at__isnull=True).exists()
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7450.00")
    assert wallet_balance(user_id=friend.pk, currency="NGN") == Decimal("500.00")
    assert ledger_discrepancies() == []
