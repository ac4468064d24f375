"""Money corrections in the admin beyond the reversal (tests/console/test_permissions.py): a payment review resolved
(credit, reject or close) and a held withdrawal released or rejected, each once, with a reason, audited."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import StaffAuditEntry
from core.errors import ConflictError
from payments.models import Charge, ChargeStatus, PaymentReview, Withdrawal, WithdrawalStatus
from payments.selectors import wallet_balance
from payments.services.velocity import NEW_DEVICE_REVIEW, hold_withdrawal_for_review, reject_held_withdrawal
from payments.services.withdrawals import retry_failed_withdrawal, start_withdrawal
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db

REVIEWS = "/admin/payments/paymentreview/"
WITHDRAWALS = "/admin/payments/withdrawal/"


def finance() -> Client:
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="Finance"))
    client = Client()
    client.force_login(staff)
    return client


def review_of_a_deposit(amount: str = "1500.00") -> PaymentReview:
    member = UserFactory()
    charge = Charge.objects.create(
        reference=f"PMJ-REVIEW-{member.pk.hex[:8]}",
        user=member,
        provider="paystack",
        amount=Decimal(amount),
        currency="KES",
        callback_token=f"token-{member.pk.hex[:8]}",
    )
    return PaymentReview.objects.create(charge=charge, reason="Provider's charge differs from our record")


def resolve(client: Client, review: PaymentReview, outcome: str | None, reason: str = "provider confirmed by phone"):
    data = {"action": "resolve_selected", "_selected_action": [review.pk]}
    if outcome:
        data |= {"outcome": outcome, "reason": reason}
    return client.post(REVIEWS, data)


def test_a_review_credited_posts_the_deposit_once(ledger_is_clean):
    review = review_of_a_deposit()
    client = finance()
    page = resolve(client, review, None)
    assert page.status_code == 200 and b"outcome" in page.content and b"Yes, resolve reviews" in page.content
    assert resolve(client, review, "credit").status_code == 302
    review.refresh_from_db()
    charge = review.charge
    charge.refresh_from_db()
    assert review.resolved and review.details["resolution"] == {
        "outcome": "credit",
        "reason": "provider confirmed by phone",
    }
    assert charge.status == ChargeStatus.SUCCEEDED
    assert wallet_balance(user_id=charge.user_id, currency="KES") == Decimal("1500.00")
    resolve(client, review, "credit")  # once
    assert wallet_balance(user_id=charge.user_id, currency="KES") == Decimal("1500.00")
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.target_id) == ("review.credit", str(review.pk))


def test_a_review_rejected_fails_the_deposit_and_closed_moves_nothing(ledger_is_clean):
    rejected, closed = review_of_a_deposit(), review_of_a_deposit("20.00")
    client = finance()
    resolve(client, rejected, "reject")
    resolve(client, closed, "close")
    for review in (rejected, closed):
        review.refresh_from_db()
        assert review.resolved
        assert wallet_balance(user_id=review.charge.user_id, currency="KES") == 0
    assert Charge.objects.get(pk=rejected.charge_id).status == ChargeStatus.FAILED
    assert Charge.objects.get(pk=closed.charge_id).status == ChargeStatus.PENDING
    assert sorted(StaffAuditEntry.objects.values_list("action", flat=True)) == ["review.close", "review.reject"]


def test_a_withdrawals_review_can_only_be_closed(ledger_is_clean):
    member = UserFactory(kyc_tier=2)
    fund_wallet(member, "5000.00")
    withdrawal = start_withdrawal(user=member, amount=Decimal("1000.00"), currency="KES", phone_number="+254700000009")
    review = PaymentReview.objects.create(withdrawal=withdrawal, reason="Provider's transfer amount differs")
    client = finance()
    listed = client.get(REVIEWS, {"resolved__exact": "0", "withdrawal__isnull": "False"})  # the index's link
    assert listed.status_code == 200 and listed.context["cl"].result_count == 1
    resolve(client, review, "credit")
    review.refresh_from_db()
    assert not review.resolved and not StaffAuditEntry.objects.exists()
    resolve(client, review, "close")
    review.refresh_from_db()
    assert review.resolved


@pytest.fixture
def held(providers_in_process):
    member = UserFactory(kyc_tier=2)
    fund_wallet(member, "10000.00")
    withdrawal = start_withdrawal(user=member, amount=Decimal("6000.00"), currency="KES", phone_number="+254700000008")
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status=WithdrawalStatus.HELD)
    withdrawal.refresh_from_db()
    hold_withdrawal_for_review(withdrawal=withdrawal, reason=NEW_DEVICE_REVIEW)
    return withdrawal


def test_a_held_withdrawal_is_rejected_with_a_reason_once(held, django_capture_on_commit_callbacks, ledger_is_clean):
    client = finance()
    action = {"action": "reject_held", "_selected_action": [held.pk]}
    page = client.post(WITHDRAWALS, action)
    assert page.status_code == 200 and b"Yes, reject held withdrawals" in page.content
    held.refresh_from_db()
    assert held.status == WithdrawalStatus.HELD
    with django_capture_on_commit_callbacks(execute=True):
        client.post(WITHDRAWALS, {**action, "reason": "the member did not ask for it"})
        client.post(WITHDRAWALS, {**action, "reason": "the member did not ask for it"})
    held.refresh_from_db()
    assert held.status == WithdrawalStatus.FAILED
    assert wallet_balance(user_id=held.user_id, currency="KES") == Decimal("10000.00")
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("withdrawal.reject", "the member did not ask for it")
    assert PaymentReview.objects.get(withdrawal=held).resolved


def test_a_held_withdrawal_is_released_with_a_reason(held, django_capture_on_commit_callbacks, ledger_is_clean):
    with django_capture_on_commit_callbacks(execute=True):
        finance().post(
            WITHDRAWALS, {"action": "release_held", "_selected_action": [held.pk], "reason": "member confirmed by call"}
        )
    held.refresh_from_db()
    assert held.status == WithdrawalStatus.SUCCEEDED
    assert StaffAuditEntry.objects.get().action == "withdrawal.release"


def test_a_failed_payout_is_sent_again_once_to_the_same_destination(
    held, django_capture_on_commit_callbacks, ledger_is_clean
):
    reject_held_withdrawal(withdrawal_id=held.pk)  # failed: its money is back in the wallet
    client = finance()
    action = {"action": "retry_failed", "_selected_action": [held.pk], "reason": "provider outage is over"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(WITHDRAWALS, action)
        answer = client.post(WITHDRAWALS, action, follow=True)
    assert any("sent again already" in str(m) for m in answer.context["messages"])
    retry = Withdrawal.objects.get(retry_of=held)
    assert (retry.amount, retry.phone_number, retry.status) == (
        held.amount,
        held.phone_number,
        WithdrawalStatus.SUCCEEDED,
    )
    assert wallet_balance(user_id=held.user_id, currency="KES") == Decimal("10000.00") - retry.amount - retry.fee
    assert list(StaffAuditEntry.objects.values_list("action", flat=True)) == ["withdrawal.retry"]


def test_only_a_failed_withdrawal_is_sent_again(held, ledger_is_clean):
    finance().post(WITHDRAWALS, {"action": "retry_failed", "_selected_action": [held.pk], "reason": "try it"})
    assert not Withdrawal.objects.filter(retry_of=held).exists() and not StaffAuditEntry.objects.exists()


def test_a_withdrawal_in_flight_is_requeried_and_settles(
    providers_in_process, django_capture_on_commit_callbacks, ledger_is_clean
):
    member = UserFactory(kyc_tier=2)
    fund_wallet(member, "5000.00")
    withdrawal = start_withdrawal(user=member, amount=Decimal("1000.00"), currency="KES", phone_number="+254700000007")
    assert withdrawal.submitted_at is None  # its task never ran (a broker outage)
    with django_capture_on_commit_callbacks(execute=True):
        finance().post(
            WITHDRAWALS,
            {"action": "requery_selected", "_selected_action": [withdrawal.pk], "reason": "stuck since noon"},
        )
    withdrawal.refresh_from_db()
    assert withdrawal.status == WithdrawalStatus.SUCCEEDED
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("withdrawal.requery", "stuck since noon")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_payout_sent_again_by_four_staff_at_once_goes_once(providers_in_process, monkeypatch, ledger_is_clean):
    member = UserFactory(kyc_tier=2)
    fund_wallet(member, "10000.00")
    with monkeypatch.context() as never_sent:  # the first one never reaches the provider: it is held, then rejected
        never_sent.setattr("payments.services.withdrawals.enqueue_on_commit", lambda *args, **kwargs: None)
        failed = start_withdrawal(user=member, amount=Decimal("6000.00"), currency="KES", phone_number="+254700000006")
    Withdrawal.objects.filter(pk=failed.pk).update(status=WithdrawalStatus.HELD)
    reject_held_withdrawal(withdrawal_id=failed.pk)
    results = run_threads(4, lambda _i: retry_failed_withdrawal(withdrawal_id=failed.pk))
    assert sum(isinstance(r, Withdrawal) for r in results) == 1, results
    assert all(isinstance(r, Withdrawal | ConflictError) for r in results), results
    retry = Withdrawal.objects.get(retry_of=failed)
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("10000.00") - retry.amount - retry.fee
