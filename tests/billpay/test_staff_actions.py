"""Finance staff's requery and refund of bill orders, through the services and the admin: the money comes back
once, from where it sits (in flight or the provider's clearing), audited; the books stay clean."""

from decimal import Decimal

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import StaffAuditEntry
from billpay.errors import BillInputError, BillOrderStateError
from billpay.models import Beneficiary, Biller, BillOrder, OrderStatus
from billpay.providers.base import BillStatus, PurchaseResult
from billpay.providers.vtpass.sandbox import DELIVERS_PHONE, PENDING_NUMBER
from billpay.services import apply_result, check_order, complete_sandbox_transaction, place_order, sync_catalog
from billpay.services.staff import refund_order, requery_order
from core.errors import PermissionDeniedError
from payments.models import AccountKind, LedgerEntry, LedgerTransaction, TransactionKind
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/billpay/billorder/"
REASON = "provider confirmed it never reached the customer"


@pytest.fixture
def buyer(catalog):
    user = UserFactory()
    fund_wallet(user, "20000.00", "NGN")
    return user


@pytest.fixture
def boss():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def notified(monkeypatch):
    sent = []
    monkeypatch.setattr("billpay.services.orders.notify", lambda **kwargs: sent.append(kwargs))
    return sent


@pytest.fixture
def callbacks_lost(monkeypatch):
    """The sandbox's callback never reaches us: the case where only a requery (the job's or staff's) finds out."""

    def unreachable(url, body, headers):
        raise httpx.ConnectError("callback lost")

    monkeypatch.setattr("billpay.providers.vtpass.sandbox.deliver", unreachable)


@pytest.fixture
def pending(buyer, django_capture_on_commit_callbacks):
    """An electricity order the sandbox keeps pending."""
    return _order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    )


@pytest.fixture
def delivered(buyer, django_capture_on_commit_callbacks):
    return _order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="500")


def _order(django_capture_on_commit_callbacks, user, **kwargs) -> BillOrder:
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_order(user=user, **kwargs)
    placed.refresh_from_db()
    return placed


def balance(user) -> Decimal:
    return wallet_balance(user_id=user.pk, currency="NGN")


def house(kind, code) -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(account__kind=kind, account__code=code)), Decimal("0"))


def in_flight() -> Decimal:
    return house(AccountKind.IN_FLIGHT, "vtpass")


def cleared() -> Decimal:
    return house(AccountKind.PROVIDER_CLEARING, "vtpass:out")


def returns(order) -> int:
    return LedgerTransaction.objects.filter(reference=str(order.pk), kind=TransactionKind.BILL_RETURN).count()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_without_permission():
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_billorder", "view_beneficiary"]))
    return staff


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- the services ----------------------------------------------------------------------------------------------


def test_refund_of_a_pending_order_returns_it_from_in_flight(
    pending, buyer, boss, notified, django_capture_on_commit_callbacks, ledger_is_clean
):
    assert pending.status == OrderStatus.PENDING and balance(buyer) == Decimal("18000.00")
    with django_capture_on_commit_callbacks(execute=True):
        refunded = refund_order(order_id=pending.pk, actor=boss, reason=f"  {REASON} ")

    refunded.refresh_from_db()
    assert refunded.status == OrderStatus.REFUNDED and refunded.next_check_at is None
    assert refunded.refund_transaction.idempotency_key == f"bill-refund:{pending.pk}"
    assert refunded.refund_transaction.kind == TransactionKind.BILL_RETURN
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0 and cleared() == 0
    entry = StaffAuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        boss,
        "billpay.refund",
        "billpay.billorder",
        str(pending.pk),
    )
    assert entry.reason == REASON
    assert entry.details == {"transaction": refunded.refund_transaction_id, "from_status": "pending"}
    assert [n["event"] for n in notified] == ["bill_refunded"]
    assert check_order(order_id=pending.pk) == "already_final"  # the job leaves it alone
    assert ledger_discrepancies() == []


def test_refund_of_a_delivered_order_reverses_it_from_clearing(
    notified, delivered, buyer, boss, django_capture_on_commit_callbacks, ledger_is_clean
):
    assert delivered.status == OrderStatus.DELIVERED and cleared() == Decimal("500.00")
    with django_capture_on_commit_callbacks(execute=True):
        refunded = refund_order(order_id=delivered.pk, actor=boss, reason=REASON)

    refunded.refresh_from_db()
    assert refunded.status == OrderStatus.REVERSED and refunded.next_check_at is None
    assert refunded.refund_transaction.idempotency_key == f"bill-reversal:{delivered.pk}"
    assert balance(buyer) == Decimal("20000.00") and cleared() == 0 and in_flight() == 0
    assert StaffAuditEntry.objects.get().details["from_status"] == "delivered"
    assert [n["event"] for n in notified] == ["bill_delivered", "bill_refunded"]
    assert ledger_discrepancies() == []


def test_a_second_refund_is_refused_and_posts_nothing(pending, buyer, boss, ledger_is_clean):
    refund_order(order_id=pending.pk, actor=boss, reason=REASON)
    postings = LedgerTransaction.objects.count()

    with pytest.raises(BillOrderStateError) as refused:
        refund_order(order_id=pending.pk, actor=boss, reason=REASON)

    assert refused.value.code == "bill_order_state" and refused.value.status_code == 409
    assert LedgerTransaction.objects.count() == postings and returns(pending) == 1
    assert StaffAuditEntry.objects.count() == 1
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


def test_refund_after_the_provider_failed_it_is_refused(pending, buyer, boss, ledger_is_clean):
    failed = PurchaseResult(request_id=pending.request_id, status=BillStatus.FAILED, code="016")
    assert apply_result(order_id=pending.pk, result=failed) == "refunded"

    with pytest.raises(BillOrderStateError):
        refund_order(order_id=pending.pk, actor=boss, reason=REASON)

    assert returns(pending) == 1 and not StaffAuditEntry.objects.exists()
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


def test_the_job_delivering_first_makes_the_refund_a_reversal(
    callbacks_lost, pending, buyer, boss, django_capture_on_commit_callbacks, ledger_is_clean
):
    complete_sandbox_transaction(request_id=pending.request_id, outcome="delivered")
    assert check_order(order_id=pending.pk) == "delivered"

    refunded = refund_order(order_id=pending.pk, actor=boss, reason=REASON)

    assert refunded.status == OrderStatus.REVERSED
    assert not LedgerTransaction.objects.filter(idempotency_key=f"bill-refund:{pending.pk}").exists()
    assert returns(pending) == 1
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0 and cleared() == 0
    assert ledger_discrepancies() == []


def test_the_callback_delivering_first_makes_the_refund_a_reversal(pending, buyer, boss, ledger_is_clean):
    complete_sandbox_transaction(request_id=pending.request_id, outcome="delivered")  # its callback settles it
    pending.refresh_from_db()
    assert pending.status == OrderStatus.DELIVERED

    assert refund_order(order_id=pending.pk, actor=boss, reason=REASON).status == OrderStatus.REVERSED
    assert returns(pending) == 1
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0 and cleared() == 0
    assert ledger_discrepancies() == []


def test_a_refund_first_makes_a_late_delivery_a_flag_not_a_posting(pending, buyer, boss, ledger_is_clean):
    refund_order(order_id=pending.pk, actor=boss, reason=REASON)
    late = PurchaseResult(request_id=pending.request_id, status=BillStatus.DELIVERED, code="000")

    assert apply_result(order_id=pending.pk, result=late) == "flagged"

    pending.refresh_from_db()
    assert pending.status == OrderStatus.REFUNDED and pending.flagged_at is not None
    assert returns(pending) == 1 and cleared() == 0
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_refund_needs_a_reason(pending, buyer, boss, reason, ledger_is_clean):
    with pytest.raises(BillInputError) as refused:
        refund_order(order_id=pending.pk, actor=boss, reason=reason)
    assert "reason" in refused.value.details
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING and returns(pending) == 0
    assert balance(buyer) == Decimal("18000.00")
    assert ledger_discrepancies() == []


def test_the_services_refuse_staff_without_the_permission(pending, buyer, ledger_is_clean):
    staff = staff_without_permission()
    with pytest.raises(PermissionDeniedError):
        refund_order(order_id=pending.pk, actor=staff, reason=REASON)
    with pytest.raises(PermissionDeniedError):
        requery_order(order_id=pending.pk, actor=staff)
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING and returns(pending) == 0
    assert not StaffAuditEntry.objects.exists()
    assert ledger_discrepancies() == []


def test_requery_of_a_pending_order_the_sandbox_completed_delivers_it(
    callbacks_lost, pending, buyer, boss, notified, django_capture_on_commit_callbacks, ledger_is_clean
):
    complete_sandbox_transaction(request_id=pending.request_id, outcome="delivered")
    with django_capture_on_commit_callbacks(execute=True):
        assert requery_order(order_id=pending.pk, actor=boss) == "delivered"

    pending.refresh_from_db()
    assert pending.status == OrderStatus.DELIVERED and pending.token
    assert in_flight() == 0 and cleared() == Decimal("2000.00") and balance(buyer) == Decimal("18000.00")
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.target_id, entry.details) == (
        "billpay.requery",
        str(pending.pk),
        {"outcome": "delivered"},
    )
    assert [n["event"] for n in notified] == ["bill_delivered"]
    assert ledger_discrepancies() == []


def test_requery_of_a_final_order_is_audited_and_changes_nothing(pending, buyer, boss, ledger_is_clean):
    refund_order(order_id=pending.pk, actor=boss, reason=REASON)
    assert requery_order(order_id=pending.pk, actor=boss) == "already_final"
    assert list(StaffAuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "billpay.refund",
        "billpay.requery",
    ]
    assert returns(pending) == 1
    assert ledger_discrepancies() == []


# --- the admin -------------------------------------------------------------------------------------------------


def test_admin_refund_asks_for_a_reason_then_refunds(pending, buyer, boss, ledger_is_clean):
    client = client_for(boss)
    selected = {"action": "refund_selected", "_selected_action": [str(pending.pk)]}

    ask = client.post(CHANGELIST, selected)
    assert ask.status_code == 200 and b'name="reason"' in ask.content and pending.request_id.encode() in ask.content
    assert returns(pending) == 0

    short = client.post(CHANGELIST, {**selected, "reason": "no"})
    assert short.status_code == 200 and returns(pending) == 0  # the form again, with its error

    done = client.post(
        CHANGELIST,
        {**selected, "reason": REASON},
        follow=True,
        HTTP_USER_AGENT="finance-browser",
        REMOTE_ADDR="10.1.2.3",
    )
    assert done.status_code == 200
    assert any("back in the wallet" in m for m in messages_of(done))
    pending.refresh_from_db()
    assert pending.status == OrderStatus.REFUNDED
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0
    entry = StaffAuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.reason) == (boss, "billpay.refund", REASON)
    assert (entry.ip_address, entry.user_agent) == ("10.1.2.3", "finance-browser")
    assert ledger_discrepancies() == []


def test_admin_refund_of_a_delivered_order_reverses_it(delivered, buyer, boss, ledger_is_clean):
    client_for(boss).post(
        CHANGELIST, {"action": "refund_selected", "_selected_action": [str(delivered.pk)], "reason": REASON}
    )
    delivered.refresh_from_db()
    assert delivered.status == OrderStatus.REVERSED
    assert delivered.refund_transaction.idempotency_key == f"bill-reversal:{delivered.pk}"
    assert balance(buyer) == Decimal("20000.00") and cleared() == 0
    assert ledger_discrepancies() == []


def test_admin_refund_twice_refuses_the_second_and_posts_nothing(pending, buyer, boss, ledger_is_clean):
    client = client_for(boss)
    form = {"action": "refund_selected", "_selected_action": [str(pending.pk)], "reason": REASON}
    client.post(CHANGELIST, form)
    postings = LedgerTransaction.objects.count()

    again = client.post(CHANGELIST, form, follow=True)

    assert any("only a pending or delivered order" in m for m in messages_of(again))
    assert LedgerTransaction.objects.count() == postings and returns(pending) == 1
    assert StaffAuditEntry.objects.count() == 1
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


def test_admin_refund_of_several_orders_refunds_each_once(pending, delivered, buyer, boss, ledger_is_clean):
    client_for(boss).post(
        CHANGELIST,
        {"action": "refund_selected", "_selected_action": [str(pending.pk), str(delivered.pk)], "reason": REASON},
    )
    statuses = dict(BillOrder.objects.values_list("pk", "status"))
    assert statuses == {pending.pk: OrderStatus.REFUNDED, delivered.pk: OrderStatus.REVERSED}
    assert StaffAuditEntry.objects.filter(action="billpay.refund").count() == 2
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0 and cleared() == 0
    assert ledger_discrepancies() == []


@pytest.mark.parametrize("action", ["refund_selected", "requery_selected"])
def test_admin_staff_without_the_permission_change_nothing(callbacks_lost, pending, buyer, action, ledger_is_clean):
    complete_sandbox_transaction(request_id=pending.request_id, outcome="delivered")
    response = client_for(staff_without_permission()).post(
        CHANGELIST, {"action": action, "_selected_action": [str(pending.pk)], "reason": REASON}, follow=True
    )
    assert any("may not act" in m for m in messages_of(response))
    pending.refresh_from_db()
    assert pending.status == OrderStatus.PENDING and returns(pending) == 0
    assert balance(buyer) == Decimal("18000.00") and in_flight() == Decimal("2000.00")
    assert not StaffAuditEntry.objects.exists()
    assert ledger_discrepancies() == []


def test_admin_requery_delivers_a_completed_pending_order(callbacks_lost, pending, buyer, boss, ledger_is_clean):
    complete_sandbox_transaction(request_id=pending.request_id, outcome="delivered")
    response = client_for(boss).post(
        CHANGELIST, {"action": "requery_selected", "_selected_action": [str(pending.pk)]}, follow=True
    )
    assert f"{pending.request_id}: delivered." in messages_of(response)
    pending.refresh_from_db()
    assert pending.status == OrderStatus.DELIVERED
    assert cleared() == Decimal("2000.00") and in_flight() == 0
    entry = StaffAuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.details) == (boss, "billpay.requery", {"outcome": "delivered"})
    assert ledger_discrepancies() == []


def test_admin_stays_read_only_and_searches_by_phone_not_token(delivered, boss):
    client = client_for(boss)
    assert client.post(f"{CHANGELIST}{delivered.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    by_phone = client.get(CHANGELIST, {"q": delivered.phone})
    assert by_phone.status_code == 200 and list(by_phone.context["cl"].result_list) == [delivered]
    delivered.token = "TOKEN-1234-5678"
    delivered.save(update_fields=["token"])
    assert list(client.get(CHANGELIST, {"q": "TOKEN-1234-5678"}).context["cl"].result_list) == []
    by_provider = client.get(CHANGELIST, {"provider": "vtpass"})
    assert list(by_provider.context["cl"].result_list) == [delivered]


def test_beneficiaries_are_listed_read_only(catalog, boss, buyer):
    mtn = Biller.objects.get(slug="mtn")
    saved = Beneficiary.objects.create(user=buyer, label="Mum", biller=mtn, number=DELIVERS_PHONE)
    client = client_for(boss)
    listed = client.get("/admin/billpay/beneficiary/", {"q": buyer.email})
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == [saved]
    assert client.get("/admin/billpay/beneficiary/add/").status_code == 403
    assert client.post(f"/admin/billpay/beneficiary/{saved.pk}/delete/", {"post": "yes"}).status_code == 403


# --- under real concurrency (PostgreSQL) -------------------------------------------------------------------------


def _pending_order_in_autocommit():
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "20000.00", "NGN")
    placed = place_order(user=buyer, biller="ikeja-electric-prepaid", customer_id=PENDING_NUMBER, amount="2000")
    placed.refresh_from_db()
    assert placed.status == OrderStatus.PENDING
    return buyer, placed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_refunding_at_once_refund_once():
    buyer, placed = _pending_order_in_autocommit()
    boss = UserFactory(is_staff=True, is_superuser=True)

    def refund(index: int):
        return refund_order(order_id=placed.pk, actor=boss, reason=REASON).status

    results = run_threads(2, refund)
    assert OrderStatus.REFUNDED in results, results
    assert [type(r) for r in results if r != OrderStatus.REFUNDED] == [BillOrderStateError], results
    assert returns(placed) == 1 and StaffAuditEntry.objects.filter(action="billpay.refund").count() == 1
    assert balance(buyer) == Decimal("20000.00")
    assert ledger_discrepancies() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_the_job_delivering_ends_one_way(callbacks_lost):
    buyer, placed = _pending_order_in_autocommit()
    boss = UserFactory(is_staff=True, is_superuser=True)
    complete_sandbox_transaction(request_id=placed.request_id, outcome="delivered")

    def work(index: int):
        if index == 0:
            return check_order(order_id=placed.pk)
        return refund_order(order_id=placed.pk, actor=boss, reason=REASON).status

    job, refund = run_threads(2, work)
    placed.refresh_from_db()
    if job == "delivered":  # the job first: the refund took it back from clearing
        assert refund == OrderStatus.REVERSED and placed.status == OrderStatus.REVERSED
    else:  # the refund first: the job's delivery is flagged for staff, nothing posted
        assert refund == OrderStatus.REFUNDED and job in ("flagged", "already_final")
        assert placed.status == OrderStatus.REFUNDED
    assert returns(placed) == 1
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0 and cleared() == 0
    assert ledger_discrepancies() == []
