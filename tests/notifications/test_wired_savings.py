"""The money side of a group tells its members through `notifications.services.notify`: each test drives the real
service, API or job, and finds exactly one notification per cause for the right person, still one when the job
runs again."""

from datetime import date
from decimal import Decimal

import pytest

from contributions.models import LoanInstalment
from contributions.services import assess_late_fees, assess_penalties, run_payouts, send_reminders
from groups.models import Membership, SavingsGroup
from notifications.catalog import EVENTS
from notifications.models import Notification
from tests.contributions.test_loans import _free_money_into_the_pot, loan_path
from tests.fixtures.groups import CHAMA, NAIROBI, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _providers(providers_in_process):
    """As in the money test directories: the providers' sandboxes in process, Celery eager."""


def told(person, event: str) -> list[Notification]:
    return list(Notification.objects.filter(user=person.user, event=event))


def the_one(person, event: str) -> Notification:
    """The one notification of `event` for `person`, whose context has exactly the keys the catalog declares."""
    notices = told(person, event)
    assert len(notices) == 1, [n.title for n in notices]
    assert set(notices[0].context) == set(EVENTS[event].example)
    return notices[0]


def mine(person, gid, cycle):
    return next(c for c in person.contributions(gid) if c["cycle"] == cycle)


def group_of(gid) -> SavingsGroup:
    return SavingsGroup.objects.get(pk=gid)


# --- contributions ----------------------------------------------------------------------------------------------


def test_contribution_reminders_go_once_two_days_before_and_on_the_day(chama):
    gid, people, _ids = chama
    group = group_of(gid)
    for day, event in (("2027-01-03", "contribution_due_soon"), ("2027-01-05", "contribution_due_today")):
        with at(f"{day}T09:00", NAIROBI):
            send_reminders(group=group)
            send_reminders(group=group)
        for person in people:
            the_one(person, event)
    soon = the_one(people[2], "contribution_due_soon")
    assert soon.title == f"{group.name}: KES 1,000.00 due 5 Jan 2027"
    assert soon.context == {
        "group": group.name,
        "group_id": gid,
        "amount": "KES 1,000.00",
        "due_date": "2027-01-05",
        "cycle": "1",
    }
    assert soon.link == f"/groups/{gid}/contributions"
    assert the_one(people[2], "contribution_due_today").title == f"{group.name}: KES 1,000.00 due today"


def test_a_late_contribution_and_its_penalty_are_told_once(chama):
    gid, (chair, treasurer, member), _ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        for person in (chair, treasurer):
            assert person.pay(mine(person, gid, 1)["id"]).status_code == 200
    group = group_of(gid)
    with at("2027-01-06T01:00", NAIROBI):
        assert assess_penalties(group=group) == 1
        assess_penalties(group=group)
    late = the_one(member, "contribution_late")
    assert late.title == f"{group.name}: your contribution is late"
    assert late.context["due_date"] == "2027-01-05"
    penalty = the_one(member, "penalty_charged")
    assert penalty.title == f"{group.name}: a penalty of KES 100.00"
    assert penalty.body == f"{group.name} charged you a penalty of KES 100.00: Late contribution."
    assert not told(chair, "contribution_late") and not told(treasurer, "penalty_charged")


def test_daily_penalties_tell_once_a_night_and_a_missed_night_in_one_message(started_group):
    with at("2026-12-01T10:00"):
        group, (_chair, late) = started_group(
            size=2,
            security_deposit="0.00",
            penalty_kind="percent",
            penalty_amount="2.50",
            penalty_recurrence="daily",
            penalty_cap="1000.00",
            grace_days=1,
        )
    group_obj = group_of(group["id"])
    for day in (7, 7, 8, 8):
        with at(f"2027-01-{day:02d}T01:00"):
            assess_penalties(group=group_obj)
    with at("2027-01-20T01:00"):  # two periods were left under the cap: caught up, told together
        assess_penalties(group=group_obj)
        assess_penalties(group=group_obj)
    amounts = [n.context["amount"] for n in told(late, "penalty_charged")]
    assert sorted(amounts) == ["NGN 250.00", "NGN 250.00", "NGN 500.00"]
    the_one(late, "contribution_late")


def test_each_contribution_a_payment_settles_is_told_once(chama):
    gid, (_chair, _treasurer, member), _ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        assert member.pay(mine(member, gid, 2)["id"]).status_code == 200  # cycle 1 is settled first
        assert member.pay(mine(member, gid, 2)["id"]).status_code != 200
    paid = told(member, "contribution_paid")
    assert sorted(n.context["cycle"] for n in paid) == ["1", "2"]
    assert {n.title for n in paid} == {f"{group_of(gid).name}: contribution received"}
    assert {n.dedupe_key for n in paid} == {f"paid:{mine(member, gid, cycle)['id']}" for cycle in (1, 2)}


# --- fines ------------------------------------------------------------------------------------------------------


def test_a_fine_an_official_levies_is_told_to_the_member(chama):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        levied = chair.post(
            f"groups/{gid}/fines/", {"membership": ids[member], "amount": "75.00", "reason": "Late to the meeting"}
        )
        assert levied.status_code == 201, levied.json()
    fine = the_one(member, "fine_levied")
    assert fine.title == f"{group_of(gid).name}: a fine of KES 75.00"
    assert fine.body.endswith("Reason: Late to the meeting")
    assert fine.link == f"/groups/{gid}/penalties"
    assert not told(chair, "fine_levied")


def test_an_absence_fine_is_told_once_however_often_the_meeting_is_saved(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-05T10:00", NAIROBI):
        mid = chair.post(f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T14:00:00+03:00"}).json()["id"]
    record = {
        "attendance": [
            {"membership": ids[chair], "status": "present"},
            {"membership": ids[treasurer], "status": "apology"},
            {"membership": ids[member], "status": "absent"},
        ]
    }
    with at("2026-12-06T17:00", NAIROBI):
        for status in ("absent", "absent", "apology", "absent"):  # a correction waives it; absent again owes it
            record["attendance"][2]["status"] = status
            assert treasurer.patch(f"groups/{gid}/meetings/{mid}/", record).status_code == 200
    fine = the_one(member, "penalty_charged")
    assert fine.context["amount"] == "KES 50.00"
    assert fine.context["reason"] == "Missed the meeting of 06 Dec 2026"
    assert not told(chair, "penalty_charged") and not told(treasurer, "penalty_charged")


# --- payouts ----------------------------------------------------------------------------------------------------


def test_a_payout_is_told_once_to_its_recipient(chama):
    gid, (chair, treasurer, member), _ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        for person in (chair, treasurer, member):
            assert person.pay(mine(person, gid, 1)["id"]).status_code == 200
    group = group_of(gid)
    with at("2027-01-05T10:00", NAIROBI):
        assert len(run_payouts(group=group)) == 1
        assert run_payouts(group=group) == []
    payout = the_one(chair, "payout_paid")
    assert payout.title == f"{group.name}: your payout is in your wallet"
    assert (payout.context["amount"], payout.context["fee"], payout.context["deductions"]) == (
        "KES 2,970.00",
        "KES 30.00",
        "KES 0.00",
    )
    assert payout.link == "/wallet"
    assert not told(treasurer, "payout_paid") and not told(member, "payout_paid")


def test_a_recipients_own_share_netted_from_the_payout_is_told_as_paid(chama):
    gid, (chair, treasurer, member), _ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        for person in (treasurer, member):
            assert person.pay(mine(person, gid, 1)["id"]).status_code == 200
    with at("2027-01-05T10:00", NAIROBI):
        (payout,) = run_payouts(group=group_of(gid))
    assert payout.deductions == Decimal("1000.00")
    assert the_one(chair, "contribution_paid").context["cycle"] == "1"
    assert the_one(chair, "payout_paid").context["deductions"] == "KES 1,000.00"


# --- payments officials record ------------------------------------------------------------------------------------


def test_a_recorded_payment_asks_the_other_officials_and_its_confirmation_tells_the_member(chama):
    gid, (chair, treasurer, member), ids = chama
    payment = {
        "membership": ids[member],
        "amount": "2500.00",
        "method": "mpesa_paybill",
        "receipt_number": "SK71X2ABC9",
        "paid_on": "2026-12-03",
        "applies_to": "contribution",
    }
    with at("2026-12-03T18:00", NAIROBI):
        recorded = treasurer.post(f"groups/{gid}/payments/", payment)
        assert recorded.status_code == 201, recorded.json()
        ask = the_one(chair, "payment_to_confirm")
        member_name = member.user.get_full_name() or member.user.email
        assert ask.title == f"{group_of(gid).name}: a payment to confirm"
        assert ask.body.startswith(f"{member_name} paid KES 2,500.00 by M-Pesa paybill.")
        assert not told(treasurer, "payment_to_confirm") and not told(member, "payment_to_confirm")
        assert chair.post(f"groups/{gid}/payments/{recorded.json()['id']}/confirm/").status_code == 200
        assert chair.post(f"groups/{gid}/payments/{recorded.json()['id']}/confirm/").status_code == 409
    confirmed = the_one(member, "payment_recorded")
    assert confirmed.title == f"{group_of(gid).name}: your M-Pesa paybill payment is in"
    assert confirmed.context["receipt"] == "SK71X2ABC9"
    assert sorted(n.context["cycle"] for n in told(member, "contribution_paid")) == ["1", "2"]
    assert not told(member, "cash_paid_out")


def test_cash_handed_out_is_told_to_the_member_once_confirmed(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        cash_in = {"method": "cash", "paid_on": "2026-12-03", "membership": ids[member]}
        pid = treasurer.post(
            f"groups/{gid}/payments/",
            {**cash_in, "amount": "1000.00", "receipt_number": "R-30", "applies_to": "contribution"},
        ).json()["id"]
        assert chair.post(f"groups/{gid}/payments/{pid}/confirm/").status_code == 200
        out = treasurer.post(
            f"groups/{gid}/payments/",
            {**cash_in, "amount": "800.00", "receipt_number": "OUT-A", "applies_to": "cash_payout"},
        )
        assert out.status_code == 201, out.json()
        assert len(told(chair, "payment_to_confirm")) == 1  # the contribution's only: see `_ask_to_confirm`
        assert chair.post(f"groups/{gid}/payments/{out.json()['id']}/confirm/").status_code == 200
    handed = the_one(member, "cash_paid_out")
    assert handed.title == f"{group_of(gid).name}: cash handed to you is recorded"
    assert (handed.context["amount"], handed.context["receipt"]) == ("KES 800.00", "OUT-A")
    the_one(member, "payment_recorded")


# --- loans ------------------------------------------------------------------------------------------------------

LOAN_CHAMA = {
    **CHAMA,
    "contribution_amount": "10000.00",
    "penalty_kind": "none",
    "service_fee_percent": "0.00",
    "absence_fine": "0.00",
}


@pytest.fixture
def lending(started_group):
    """A running chama of three (chair, treasurer, borrower) who have each paid three months ahead, so each may
    borrow 90,000; as tests/contributions/test_loans.py sets it up, with 50,000 the pot may lend."""

    def make(**overrides):
        with at("2026-12-01T10:00", NAIROBI):
            group, people = started_group(size=3, funded="100000.00", **{**LOAN_CHAMA, **overrides})
            for person in people:
                assert person.pay(mine(person, group["id"], 3)["id"]).status_code == 200
            treasurer = Membership.objects.get(group_id=group["id"], user=people[1].user)
            people[0].patch(f"groups/{group['id']}/members/{treasurer.pk}/", {"role": "treasurer"})
        _free_money_into_the_pot(group["id"], "50000.00")
        return group["id"], people

    return make


def apply(borrower, gid, guarantor=None, amount="20000.00"):
    wanted = {"amount": amount, "term_months": 2, "purpose": "Stock for the shop"}
    if guarantor is not None:
        wanted["guarantors"] = [
            {"membership": Membership.objects.get(group_id=gid, user=guarantor.user).pk, "amount": "5000.00"}
        ]
    answer = borrower.post(loan_path(gid), wanted)
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_a_loan_application_tells_the_deciding_officials_and_asks_the_guarantor(lending):
    gid, (chair, treasurer, borrower) = lending()
    with at("2026-12-02T10:00", NAIROBI):
        loan = apply(borrower, gid, guarantor=chair)
    borrower_name = borrower.user.get_full_name() or borrower.user.email
    for official in (chair, treasurer):
        applied = the_one(official, "loan_applied")
        assert applied.title == f"{group_of(gid).name}: a loan application"
        assert applied.context["borrower"] == borrower_name and applied.context["amount"] == "KES 20,000.00"
    assert not told(borrower, "loan_applied")
    asked = the_one(chair, "guarantee_requested")
    assert asked.title == f"{group_of(gid).name}: guarantee KES 5,000.00?"
    assert asked.context["purpose"] == "Stock for the shop"
    assert asked.dedupe_key == f"guarantee:{loan['guarantees'][0]['id']}"
    assert not told(treasurer, "guarantee_requested")


def test_an_official_who_borrows_is_not_asked_to_decide_on_their_own_loan(lending):
    gid, (chair, treasurer, _borrower) = lending()
    with at("2026-12-02T10:00", NAIROBI):
        apply(treasurer, gid)
    the_one(chair, "loan_applied")
    assert not told(treasurer, "loan_applied")


def test_the_borrower_hears_the_decision_once_and_the_disbursement(lending):
    gid, (chair, treasurer, borrower) = lending()
    name = group_of(gid).name
    with at("2026-12-02T10:00", NAIROBI):
        loan = apply(borrower, gid)
        assert chair.post(loan_path(gid, loan["id"], "approve")).status_code == 200
        assert not told(borrower, "loan_approved")  # one vote of the two decides nothing yet
        assert treasurer.post(loan_path(gid, loan["id"], "approve")).json()["status"] == "approved"
        assert the_one(borrower, "loan_approved").title == f"{name}: your loan is approved"
        assert treasurer.post(loan_path(gid, loan["id"], "disburse")).json()["status"] == "disbursed"
        assert treasurer.post(loan_path(gid, loan["id"], "disburse")).status_code == 409
    disbursed = the_one(borrower, "loan_disbursed")
    assert disbursed.title == f"{name}: your loan is in your wallet"
    assert disbursed.context["amount"] == "KES 20,000.00"
    assert not told(borrower, "loan_rejected")


def test_a_rejected_loan_tells_the_borrower_why(lending):
    gid, (chair, _treasurer, borrower) = lending()
    with at("2026-12-02T10:00", NAIROBI):
        loan = apply(borrower, gid)
        assert chair.post(loan_path(gid, loan["id"], "reject"), {"reason": "too large"}).status_code == 200
    rejected = the_one(borrower, "loan_rejected")
    assert rejected.title == f"{group_of(gid).name}: your loan was not approved"
    assert rejected.body.endswith("was not approved. Too large.")
    assert not told(borrower, "loan_approved")


def _disbursed_loan(lending, **overrides):
    gid, (chair, treasurer, borrower) = lending(**overrides)
    with at("2026-12-02T10:00", NAIROBI):
        loan = apply(borrower, gid)
        chair.post(loan_path(gid, loan["id"], "approve"))
        treasurer.post(loan_path(gid, loan["id"], "approve"))
        assert treasurer.post(loan_path(gid, loan["id"], "disburse")).status_code == 200
    return gid, borrower, loan


def test_an_instalment_due_in_two_days_is_told_once_from_the_reminders_job(lending):
    gid, borrower, loan = _disbursed_loan(lending)
    first = LoanInstalment.objects.get(loan_id=loan["id"], number=1)
    assert first.due_date == date(2027, 1, 2)
    group = group_of(gid)
    with at("2026-12-31T09:00", NAIROBI):
        send_reminders(group=group)
        send_reminders(group=group)
    due = the_one(borrower, "loan_instalment_due")
    assert due.title == f"{group.name}: loan repayment of KES {first.amount:,.2f} due 2 Jan 2027"
    assert due.dedupe_key == f"loan-due:{loan['id']}:2027-01-02"
    with at("2027-01-02T09:00", NAIROBI):
        send_reminders(group=group)  # the day itself: the reminder went two days before
    assert len(told(borrower, "loan_instalment_due")) == 1


def test_a_paid_instalment_is_not_reminded(lending):
    gid, borrower, loan = _disbursed_loan(lending)
    first = LoanInstalment.objects.get(loan_id=loan["id"], number=1)
    with at("2026-12-20T10:00", NAIROBI):
        repaid = borrower.post(loan_path(gid, loan["id"], "repay"), {"amount": str(first.amount)}, money=True)
        assert repaid.status_code == 200, repaid.json()
    with at("2026-12-31T09:00", NAIROBI):
        send_reminders(group=group_of(gid))
    assert not told(borrower, "loan_instalment_due")


@pytest.mark.parametrize(("late_fee", "owed_extra"), [("300.00", Decimal("300.00")), ("0.00", Decimal("0"))])
def test_an_overdue_instalment_is_told_once_from_the_late_fee_job(lending, late_fee, owed_extra):
    gid, borrower, loan = _disbursed_loan(lending, loan_late_fee=late_fee)
    first = LoanInstalment.objects.get(loan_id=loan["id"], number=1)
    group = group_of(gid)
    with at("2027-01-02T01:00", NAIROBI):  # the due date itself: not overdue yet
        assess_late_fees(group=group)
    assert not told(borrower, "loan_overdue")
    for night in ("2027-01-03", "2027-01-03", "2027-01-04"):
        with at(f"{night}T01:00", NAIROBI):
            assess_late_fees(group=group)
    overdue = the_one(borrower, "loan_overdue")
    assert overdue.title == f"{group.name}: loan repayment overdue"
    assert overdue.context["due_date"] == "2027-01-02"
    assert overdue.context["amount"] == f"KES {first.amount + owed_extra:,.2f}"
    first.refresh_from_db()
    assert first.late_fee == Decimal(late_fee)
