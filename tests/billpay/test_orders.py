"""The bill order money flow: wallet → in flight at once, the purchase after commit, then settled, returned or
requeried; never paid twice; ledger_check sees the money throughout. Numbers are VTPass's own sandbox numbers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billpay import breaker
from billpay.errors import BillInputError, BillProviderError, BillServiceNotFoundError
from billpay.jobs import requery_pending_orders
from billpay.models import Biller, BillOrder, OrderStatus, SandboxBillTransaction
from billpay.providers import registry
from billpay.providers.base import BillStatus, PurchaseResult
from billpay.providers.vtpass.sandbox import (
    DELIVERS_PHONE,
    NO_ANSWER_NUMBER,
    PENDING_NUMBER,
    PREPAID_METER,
    SMARTCARD,
    TIMEOUT_NUMBER,
    VTPassSandbox,
)
from billpay.selectors import invalidate_catalog_cache
from billpay.services import apply_result, check_order, complete_sandbox_transaction, place_order
from billpay.tasks import requery_bill_orders
from config.schedules import job_named
from core.errors import InsufficientFundsError, LimitExceededError
from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_sandbox_callbacks(monkeypatch):
    """Here the requery job settles what the sandbox completes; its callback, which settles at once, is tested
    through the API (test_api.py)."""
    monkeypatch.setattr(VTPassSandbox, "_announce", lambda self, record: None)


@pytest.fixture
def buyer(catalog):
    user = UserFactory()
    fund_wallet(user, "20000.00", "NGN")
    return user


@pytest.fixture
def notified(monkeypatch):
    sent = []
    monkeypatch.setattr("billpay.services.orders.notify", lambda **kwargs: sent.append(kwargs))
    return sent


def order(django_capture_on_commit_callbacks, user, **kwargs):
    """Place an order and run what follows its commit (the purchase call)."""
    with django_capture_on_commit_callbacks(execute=True):
        placed = place_order(user=user, **kwargs)
    placed.refresh_from_db()
    return placed


def run_job(django_capture_on_commit_callbacks, *, due=True):
    """The requery job, with every order's next check made due first."""
    if due:
        BillOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        return requery_pending_orders()


def balance(user) -> Decimal:
    return wallet_balance(user_id=user.pk, currency="NGN")


def house(kind, code) -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(account__kind=kind, account__code=code)), Decimal("0"))


def in_flight() -> Decimal:
    return house(AccountKind.IN_FLIGHT, "vtpass")


def cleared() -> Decimal:
    return house(AccountKind.PROVIDER_CLEARING, "vtpass:out")


def bill_postings(order_) -> list[str]:
    return list(
        LedgerTransaction.objects.filter(reference=str(order_.pk)).order_by("pk").values_list("kind", flat=True)
    )


# --- outcomes -------------------------------------------------------------------------------------------------


def test_electricity_delivered_with_token(buyer, notified, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="5000.00",
    )
    assert placed.status == OrderStatus.DELIVERED
    assert placed.token and placed.units.endswith("kWh") and placed.customer_name == "TESTMETER1"
    assert placed.commission == Decimal("50.00")  # recorded, not posted
    assert placed.attempts == 1 and placed.provider == "vtpass"
    assert balance(buyer) == Decimal("15000.00")
    assert in_flight() == 0 and cleared() == Decimal("5000.00")
    assert bill_postings(placed) == [TransactionKind.BILL, TransactionKind.BILL_SETTLEMENT]
    assert LedgerTransaction.objects.filter(idempotency_key=f"bill-order:{placed.pk}").exists()
    assert [n["event"] for n in notified] == ["bill_delivered"]
    assert placed.token == notified[0]["context"]["token"]


def test_airtime_phone_is_normalised_and_delivered(buyer, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")
    assert placed.status == OrderStatus.DELIVERED
    assert placed.customer_id == "+2348011111111" and placed.phone == "+2348011111111"
    assert placed.amount == Decimal("100.00")


def test_a_plan_is_bought_at_its_price(buyer, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(django_capture_on_commit_callbacks, buyer, biller="dstv", customer_id=SMARTCARD, variation="dstv79")
    assert placed.status == OrderStatus.DELIVERED and placed.amount == Decimal("19000.00")
    assert balance(buyer) == Decimal("1000.00")


def test_failed_purchase_is_refunded_at_once(buyer, notified, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id="08031234567", amount="500")
    assert placed.status == OrderStatus.REFUNDED
    assert balance(buyer) == Decimal("20000.00")
    assert in_flight() == 0 and cleared() == 0
    assert bill_postings(placed) == [TransactionKind.BILL, TransactionKind.BILL_RETURN]
    assert LedgerTransaction.objects.filter(idempotency_key=f"bill-refund:{placed.pk}").exists()
    assert [n["event"] for n in notified] == ["bill_refunded"]


def test_pending_then_delivered_by_the_requery_job(buyer, notified, django_capture_on_commit_callbacks):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    )
    assert placed.status == OrderStatus.PENDING
    assert balance(buyer) == Decimal("18000.00") and in_flight() == Decimal("2000.00")
    assert ledger_discrepancies() == []  # pending money is backed in flight

    assert run_job(django_capture_on_commit_callbacks) == {"still_pending": 1}
    placed.refresh_from_db()
    assert placed.status == OrderStatus.PENDING and placed.checks == 2 and placed.next_check_at > timezone.now()
    assert run_job(django_capture_on_commit_callbacks, due=False) == {}  # backoff: not due yet

    complete_sandbox_transaction(request_id=placed.request_id, outcome="delivered")
    assert run_job(django_capture_on_commit_callbacks) == {"delivered": 1}
    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED and placed.token
    assert in_flight() == 0 and cleared() == Decimal("2000.00") and balance(buyer) == Decimal("18000.00")
    assert [n["event"] for n in notified] == ["bill_delivered"]
    assert ledger_discrepancies() == []


def test_pending_then_failed_is_refunded(buyer, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    )
    complete_sandbox_transaction(request_id=placed.request_id, outcome="failed")
    assert run_job(django_capture_on_commit_callbacks) == {"refunded": 1}
    assert run_job(django_capture_on_commit_callbacks) == {}  # final: the job no longer looks at it
    placed.refresh_from_db()
    assert placed.status == OrderStatus.REFUNDED
    assert balance(buyer) == Decimal("20000.00") and in_flight() == 0


@pytest.mark.parametrize("number", [TIMEOUT_NUMBER, NO_ANSWER_NUMBER])
def test_no_answer_then_the_requery_finds_it_delivered_charged_once(
    buyer, number, django_capture_on_commit_callbacks, ledger_is_clean
):
    placed = order(
        django_capture_on_commit_callbacks, buyer, biller="ikeja-electric-prepaid", customer_id=number, amount="3000"
    )
    assert placed.status == OrderStatus.PENDING and placed.attempts == 1
    request_id = placed.request_id
    assert run_job(django_capture_on_commit_callbacks) == {"delivered": 1}
    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED and placed.request_id == request_id and placed.attempts == 1
    assert SandboxBillTransaction.objects.count() == 1  # bought once
    assert balance(buyer) == Decimal("17000.00") and cleared() == Decimal("3000.00")


class LossySandbox(VTPassSandbox):
    """The sandbox, but the first `drop` purchases are lost on the way (never reach VTPass, no answer)."""

    def __init__(self, drop: int):
        super().__init__()
        self.drop = drop
        self.sent: list[str] = []

    def pay(self, request):
        self.sent.append(request.request_id)
        if self.drop > 0:
            self.drop -= 1
            return PurchaseResult(request_id=request.request_id, status=BillStatus.PENDING, message="lost")
        return super().pay(request)


def test_not_found_on_requery_allows_one_retry_charged_once(
    buyer, monkeypatch, django_capture_on_commit_callbacks, ledger_is_clean
):
    provider = LossySandbox(drop=1)
    monkeypatch.setattr(registry, "get_bill_provider", lambda: provider)
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="1500",
    )
    first_id = placed.request_id
    assert placed.status == OrderStatus.PENDING

    assert run_job(django_capture_on_commit_callbacks) == {"delivered": 1}  # 015 → one retry, delivered
    placed.refresh_from_db()
    assert placed.status == OrderStatus.DELIVERED and placed.attempts == 2
    assert placed.request_id != first_id and placed.provider_response["abandoned_request_ids"] == [first_id]
    assert provider.sent == [first_id, placed.request_id]
    assert SandboxBillTransaction.objects.count() == 1
    assert balance(buyer) == Decimal("18500.00") and cleared() == Decimal("1500.00")


def test_not_found_after_the_retry_returns_the_money(
    buyer, monkeypatch, django_capture_on_commit_callbacks, ledger_is_clean
):
    provider = LossySandbox(drop=2)
    monkeypatch.setattr(registry, "get_bill_provider", lambda: provider)
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="1500",
    )
    assert run_job(django_capture_on_commit_callbacks) == {"still_pending": 1}  # 015 → retry, lost again
    assert run_job(django_capture_on_commit_callbacks) == {"refunded": 1}  # 015 again: never bought
    placed.refresh_from_db()
    assert placed.status == OrderStatus.REFUNDED and placed.attempts == 2 and len(provider.sent) == 2
    assert SandboxBillTransaction.objects.count() == 0
    assert balance(buyer) == Decimal("20000.00")


def test_reversal_after_delivery_refunds_once(buyer, notified, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="4000",
    )
    assert placed.status == OrderStatus.DELIVERED and placed.next_check_at is not None
    assert run_job(django_capture_on_commit_callbacks) == {"unchanged": 1}  # watched: still delivered
    complete_sandbox_transaction(request_id=placed.request_id, outcome="reversed")
    assert run_job(django_capture_on_commit_callbacks) == {"reversed": 1}
    BillOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert run_job(django_capture_on_commit_callbacks) == {}  # reversed is final
    placed.refresh_from_db()
    assert placed.status == OrderStatus.REVERSED
    assert balance(buyer) == Decimal("20000.00") and cleared() == 0 and in_flight() == 0
    assert LedgerTransaction.objects.filter(idempotency_key=f"bill-reversal:{placed.pk}").count() == 1
    assert bill_postings(placed).count(TransactionKind.BILL_RETURN) == 1
    assert [n["event"] for n in notified] == ["bill_delivered", "bill_refunded"]


def test_the_same_reversal_applied_twice_refunds_once(buyer, django_capture_on_commit_callbacks, ledger_is_clean):

    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="4000",
    )
    complete_sandbox_transaction(request_id=placed.request_id, outcome="reversed")
    assert check_order(order_id=placed.pk) == "reversed"
    assert check_order(order_id=placed.pk) == "already_final"
    reversed_again = PurchaseResult(request_id=placed.request_id, status=BillStatus.REVERSED, code="040")
    assert apply_result(order_id=placed.pk, result=reversed_again) == "unchanged"
    assert balance(buyer) == Decimal("20000.00")


def test_an_order_pending_over_an_hour_is_flagged(buyer, django_capture_on_commit_callbacks, ledger_is_clean):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    )
    run_job(django_capture_on_commit_callbacks)
    placed.refresh_from_db()
    assert placed.flagged_at is None
    BillOrder.objects.filter(pk=placed.pk).update(created_at=timezone.now() - timedelta(hours=1, minutes=1))
    run_job(django_capture_on_commit_callbacks)
    placed.refresh_from_db()
    assert placed.flagged_at is not None and placed.status == OrderStatus.PENDING


def test_the_job_is_a_scheduled_task(buyer, django_capture_on_commit_callbacks):
    assert job_named("billpay.requery_bill_orders").task == "billpay.requery_bill_orders"
    assert requery_bill_orders() == {}


# --- refused before any money moves ---------------------------------------------------------------------------


def test_insufficient_funds_posts_nothing(catalog, django_capture_on_commit_callbacks, ledger_is_clean):
    user = UserFactory()
    fund_wallet(user, "100.00", "NGN")
    before = LedgerTransaction.objects.count()
    with pytest.raises(InsufficientFundsError), django_capture_on_commit_callbacks(execute=True):
        place_order(user=user, biller="mtn", customer_id=DELIVERS_PHONE, amount="500")
    assert LedgerTransaction.objects.count() == before and not BillOrder.objects.exists()
    assert SandboxBillTransaction.objects.count() == 0
    assert balance(user) == Decimal("100.00")


def test_over_the_kyc_limit_posts_nothing(catalog, ledger_is_clean):
    user = UserFactory()
    fund_wallet(user, "100000.00", "NGN")
    with pytest.raises(LimitExceededError):
        place_order(user=user, biller="ikeja-electric-prepaid", customer_id=PREPAID_METER, amount="60000")
    assert not BillOrder.objects.exists() and balance(user) == Decimal("100000.00")


def test_the_daily_kyc_limit_counts_bill_orders(catalog, settings, django_capture_on_commit_callbacks):
    settings.KYC_LIMITS = {"0": {"NGN": ["50000", "60000"], "default": ["0", "0"]}}
    user = UserFactory()
    fund_wallet(user, "100000.00", "NGN")
    order(
        django_capture_on_commit_callbacks,
        user,
        biller="ikeja-electric-prepaid",
        customer_id=PREPAID_METER,
        amount="40000",
    )
    with pytest.raises(LimitExceededError) as refused:
        place_order(user=user, biller="ikeja-electric-prepaid", customer_id=PREPAID_METER, amount="30000")
    assert Decimal(refused.value.details["used"]) == Decimal("40000")
    assert BillOrder.objects.count() == 1 and balance(user) == Decimal("60000.00")


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"biller": "no-such-biller", "customer_id": DELIVERS_PHONE, "amount": "100"}, BillServiceNotFoundError, None),
        ({"biller": "dstv", "customer_id": SMARTCARD, "variation": "gotv-max"}, BillInputError, "variation"),
        ({"biller": "dstv", "customer_id": SMARTCARD}, BillInputError, "variation"),
        ({"biller": "mtn", "customer_id": DELIVERS_PHONE, "amount": "49.99"}, BillInputError, "amount"),
        ({"biller": "mtn", "customer_id": DELIVERS_PHONE, "amount": "50000.01"}, BillInputError, "amount"),
        ({"biller": "mtn", "customer_id": DELIVERS_PHONE, "amount": "100.005"}, BillInputError, "amount"),
        ({"biller": "mtn", "customer_id": DELIVERS_PHONE, "amount": 100.5}, BillInputError, "amount"),
        ({"biller": "mtn", "customer_id": DELIVERS_PHONE}, BillInputError, "amount"),
        ({"biller": "mtn", "customer_id": "12345", "amount": "100"}, BillInputError, "customer_id"),
        ({"biller": "mtn", "customer_id": "not-a-phone", "amount": "100"}, BillInputError, "customer_id"),
        ({"biller": "ikeja-electric-prepaid", "customer_id": "12ab", "amount": "2000"}, BillInputError, "customer_id"),
        ({"biller": "ikeja-electric-prepaid", "customer_id": PREPAID_METER, "amount": "999"}, BillInputError, "amount"),
        (
            {"biller": "mtn-data", "customer_id": DELIVERS_PHONE, "variation": "mtn-1gb-350", "amount": "100"},
            BillInputError,
            "amount",
        ),
    ],
)
def test_bad_input_is_refused_before_any_debit(buyer, kwargs, error, field, ledger_is_clean):
    before = LedgerTransaction.objects.count()
    with pytest.raises(error) as caught:
        place_order(user=buyer, **kwargs)
    if field:
        assert field in caught.value.details
    assert LedgerTransaction.objects.count() == before and not BillOrder.objects.exists()
    assert balance(buyer) == Decimal("20000.00")


def test_an_inactive_biller_is_refused(buyer, ledger_is_clean):

    Biller.objects.filter(slug="mtn").update(active=False)
    invalidate_catalog_cache()
    with pytest.raises(BillServiceNotFoundError):
        place_order(user=buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")


# --- the circuit breaker --------------------------------------------------------------------------------------


def test_the_breaker_opens_after_repeated_failures_and_recovers_after_a_probe(
    buyer, settings, monkeypatch, django_capture_on_commit_callbacks, ledger_is_clean
):
    settings.BILLPAY_BREAKER_THRESHOLD = 3
    settings.BILLPAY_BREAKER_COOLDOWN = 60
    clock = [1_000_000.0]
    monkeypatch.setattr(breaker, "_now", lambda: clock[0])
    timeouts = {"biller": "ikeja-electric-prepaid", "customer_id": TIMEOUT_NUMBER, "amount": "1000"}
    for _ in range(3):
        order(django_capture_on_commit_callbacks, buyer, **timeouts)
    assert breaker.is_open("vtpass")
    spent = balance(buyer)

    with pytest.raises(BillProviderError) as caught:
        place_order(user=buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")
    assert caught.value.status_code == 503 and caught.value.code == "provider_unavailable"
    assert balance(buyer) == spent and BillOrder.objects.count() == 3  # nothing debited

    clock[0] += 61  # cool-down over: one probe goes through, a second caller still waits
    probe = order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")
    assert probe.status == OrderStatus.DELIVERED
    assert not breaker.is_open("vtpass")
    again = order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")
    assert again.status == OrderStatus.DELIVERED


def test_the_breaker_lets_one_probe_through_and_reopens_when_it_fails(settings, monkeypatch):
    settings.BILLPAY_BREAKER_THRESHOLD = 2
    settings.BILLPAY_BREAKER_COOLDOWN = 30
    clock = [0.0]
    monkeypatch.setattr(breaker, "_now", lambda: clock[0])
    breaker.record_failure("vtpass")
    assert breaker.allow("vtpass")
    breaker.record_failure("vtpass")
    assert not breaker.allow("vtpass")
    clock[0] = 31
    assert breaker.allow("vtpass") and not breaker.allow("vtpass")  # exactly one probe
    breaker.record_failure("vtpass")  # the probe failed: open for a fresh cool-down
    assert not breaker.allow("vtpass")
    clock[0] = 62
    assert breaker.allow("vtpass")
    breaker.record_success("vtpass")
    assert breaker.allow("vtpass") and breaker.allow("vtpass")


# --- ledger_check sees bill money -----------------------------------------------------------------------------


def test_ledger_check_catches_bill_money_that_does_not_match_its_orders(buyer, django_capture_on_commit_callbacks):
    placed = order(
        django_capture_on_commit_callbacks,
        buyer,
        biller="ikeja-electric-prepaid",
        customer_id=PENDING_NUMBER,
        amount="2000",
    )
    assert ledger_discrepancies() == []
    BillOrder.objects.filter(pk=placed.pk).update(status=OrderStatus.REFUNDED)  # the books still hold it in flight
    problems = ledger_discrepancies()
    assert any("in-flight 'vtpass' (NGN) holds 2000.00" in p for p in problems), problems


def test_a_delivered_order_backs_the_provider_clearing_account(buyer, django_capture_on_commit_callbacks):
    placed = order(django_capture_on_commit_callbacks, buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="100")
    assert ledger_discrepancies() == []
    assert LedgerAccount.objects.filter(kind=AccountKind.PROVIDER_CLEARING, code="vtpass:out").exists()
    BillOrder.objects.filter(pk=placed.pk).update(status=OrderStatus.REVERSED)  # no reversal was posted
    problems = ledger_discrepancies()
    assert any("clearing account 'vtpass:out' (NGN) holds 100.00" in p for p in problems), problems
    assert not any("belongs to no provider" in p for p in problems), problems
