"""Two workers at once, on PostgreSQL: the payout job pays once, the penalty job penalises once, a contribution is
paid once."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from contributions import services
from contributions.models import Loan, Payout, Penalty, RecordedPayment
from groups.models import Membership, SavingsGroup
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.contributions.test_loans import CHAMA, _free_money_into_the_pot, loan_path
from tests.factories import pin_token
from tests.fixtures.groups import NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def mine(person, gid, cycle):
    return next(c for c in person.contributions(gid) if c["cycle"] == cycle)


def test_two_workers_running_the_payout_job_at_once_pay_once(started_group):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=4, security_deposit="0.00")
        for person in people[1:]:  # the recipient's own share is netted on the payout date
            assert person.pay(mine(person, group["id"], 1)["id"]).status_code == 200
    assert Payout.objects.count() == 0
    group_obj = SavingsGroup.objects.get(pk=group["id"])
    with at("2027-01-07T10:00"):
        results = run_threads(6, lambda _i: len(services.run_payouts(group=group_obj)))
    assert sorted(results) == [0, 0, 0, 0, 0, 1], results
    assert Payout.objects.filter(cycle__group_id=group["id"]).count() == 1
    # 40,000 gross, 800 fee, the recipient's own 10,000 netted
    assert get_wallet(user_id=people[0].user.pk, currency="NGN").balance == Decimal("229200.00")
    assert ledger_discrepancies() == []


def test_two_workers_running_the_penalty_job_at_once_penalise_once(started_group):
    with at("2026-12-01T10:00"):
        group, _people = started_group(
            size=3, security_deposit="0.00", penalty_recurrence="daily", penalty_amount="100.00"
        )
    group_obj = SavingsGroup.objects.get(pk=group["id"])
    with at("2027-01-12T01:00"):  # 5 days past due + 2 days grace: 5 periods for each of 3 members
        run_threads(5, lambda _i: services.assess_penalties(group=group_obj))
    assert Penalty.objects.filter(contribution__cycle__group_id=group["id"]).count() == 15


def test_one_contribution_paid_from_two_devices_at_once_is_paid_once(started_group):
    with at("2026-12-01T10:00"):
        group, (_chair, payer) = started_group(size=2, security_deposit="0.00")
        target = mine(payer, group["id"], 2)["id"]
        tokens = [pin_token(payer.user) for _ in range(4)]

        def pay(index: int) -> int:
            client = APIClient()
            client.force_authenticate(payer.user)
            return client.post(
                f"/api/v1/contributions/{target}/pay/",
                {"source": "wallet"},
                format="json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                HTTP_X_PIN_TOKEN=tokens[index],
            ).status_code

        results = run_threads(4, pay)
    assert sorted(results) == [200, 409, 409, 409], results
    assert get_wallet(user_id=payer.user.pk, currency="NGN").balance == Decimal("180000.00")
    assert ledger_discrepancies() == []


def _chama_with_an_approved_loan(started_group):
    group, (chair, treasurer, borrower) = started_group(size=3, funded="100000.00", **CHAMA)
    gid = group["id"]
    for person in (chair, treasurer, borrower):
        assert person.pay(next(c for c in person.contributions(gid) if c["cycle"] == 3)["id"]).status_code == 200
    treasurer_id = Membership.objects.get(group_id=gid, user=treasurer.user).pk
    chair.patch(f"groups/{gid}/members/{treasurer_id}/", {"role": "treasurer"})
    _free_money_into_the_pot(gid, "20000.00")
    loan = borrower.post(loan_path(gid), {"amount": "9000.00", "term_months": 3, "purpose": "Seeds"}).json()
    chair.post(loan_path(gid, loan["id"], "approve"))
    treasurer.post(loan_path(gid, loan["id"], "approve"))
    return gid, (chair, treasurer, borrower), Loan.objects.get(pk=loan["id"])


def test_a_loan_disbursed_from_two_devices_at_once_is_paid_once(started_group):
    with at("2026-12-02T10:00", NAIROBI):
        gid, (_chair, treasurer, borrower), loan = _chama_with_an_approved_loan(started_group)
        before = get_wallet(user_id=borrower.user.pk, currency="KES").balance

        def disburse(_index: int) -> int:
            client = APIClient()
            client.force_authenticate(treasurer.user)
            return client.post(f"/api/v1/{loan_path(gid, loan.pk, 'disburse')}", {}, format="json").status_code

        results = run_threads(4, disburse)
    assert sorted(results) == [200, 409, 409, 409], results
    assert get_wallet(user_id=borrower.user.pk, currency="KES").balance == before + Decimal("9000.00")
    assert ledger_discrepancies() == []


def test_two_repayments_at_once_never_pay_more_than_the_loan(started_group):
    with at("2026-12-02T10:00", NAIROBI):
        gid, (_chair, treasurer, borrower), loan = _chama_with_an_approved_loan(started_group)
        treasurer.post(loan_path(gid, loan.pk, "disburse"))
        payoff = borrower.get(loan_path(gid, loan.pk)).json()["payoff_today"]
        tokens = [pin_token(borrower.user) for _ in range(4)]

        def repay(index: int) -> int:
            client = APIClient()
            client.force_authenticate(borrower.user)
            return client.post(
                f"/api/v1/{loan_path(gid, loan.pk, 'repay')}",
                {"amount": payoff},
                format="json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                HTTP_X_PIN_TOKEN=tokens[index],
            ).status_code

        results = run_threads(4, repay)
    assert sorted(results) == [200, 409, 409, 409], results
    loan.refresh_from_db()
    assert loan.status == "repaid"
    assert ledger_discrepancies() == []


def test_a_recorded_payment_confirmed_by_two_officials_at_once_posts_once(started_group):
    with at("2026-12-02T10:00", NAIROBI):
        group, people = started_group(size=4, security_deposit="0.00")
        gid = group["id"]
        ids = [Membership.objects.get(group_id=gid, user=p.user).pk for p in people]
        people[0].patch(f"groups/{gid}/members/{ids[1]}/", {"role": "treasurer"})
        people[0].patch(f"groups/{gid}/members/{ids[2]}/", {"role": "secretary"})
        recorded = (
            people[1]
            .post(
                f"groups/{gid}/payments/",
                {
                    "membership": ids[3],
                    "amount": "10000.00",
                    "method": "cash",
                    "receipt_number": "C-9",
                    "paid_on": "2026-12-02",
                    "applies_to": "contribution",
                },
            )
            .json()
        )
        checkers = [people[0], people[2]]

        def confirm(index: int) -> int:
            client = APIClient()
            client.force_authenticate(checkers[index].user)
            return client.post(f"/api/v1/groups/{gid}/payments/{recorded['id']}/confirm/").status_code

        results = run_threads(2, confirm)
    assert sorted(results) == [200, 409], results
    assert RecordedPayment.objects.get(pk=recorded["id"]).status == "confirmed"
    assert [c["status"] for c in people[3].contributions(gid)][:2] == ["paid", "pending"]
    assert ledger_discrepancies() == []


def test_one_fine_paid_from_two_devices_at_once_is_paid_once(started_group):
    with at("2026-12-02T10:00"):
        group, (chair, payer) = started_group(size=2, security_deposit="0.00")
        target = Membership.objects.get(group_id=group["id"], user=payer.user).pk
        fine = chair.post(f"groups/{group['id']}/fines/", {"membership": target, "amount": "500.00", "reason": "x"})
        tokens = [pin_token(payer.user) for _ in range(4)]

        def pay(index: int) -> int:
            client = APIClient()
            client.force_authenticate(payer.user)
            return client.post(
                f"/api/v1/penalties/{fine.json()['id']}/pay/",
                {},
                format="json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                HTTP_X_PIN_TOKEN=tokens[index],
            ).status_code

        results = run_threads(4, pay)
    assert sorted(results) == [200, 409, 409, 409], results
    assert get_wallet(user_id=payer.user.pk, currency="NGN").balance == Decimal("199500.00")
    assert ledger_discrepancies() == []
