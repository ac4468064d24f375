"""Savings groups: no rotation; members save (with top-ups) and the pot lends and earns; at the end of the period, or
by a passed resolution, the pot is shared out: each saver's savings back, and the earnings by share-months, summing
to the pot exactly, in one posting, once."""

from decimal import Decimal

import pytest

from contributions.models import Contribution, Cycle, ShareOut, ShareOutLine
from contributions.selectors.share_outs import months_held
from contributions.services import pay_contribution, share_out_if_due
from contributions.tasks import dispatch_group_job
from groups.models import Membership, SavingsGroup
from payments.models import AccountKind, LedgerAccount, LedgerTransaction
from payments.selectors import ledger_discrepancies
from payments.services import get_house_account, get_wallet
from tests.fixtures.groups import AJO, CHAMA, NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db

SAVINGS = {
    **CHAMA,
    "scheme": "savings",
    "allow_top_ups": True,
    "start_date": "2027-01-05",
    "loan_interest_method": "flat",
    "loan_monthly_rate": "2.00",
}


def wallet(person) -> Decimal:
    return get_wallet(user_id=person.user.pk, currency="KES").balance


def pot(gid) -> Decimal:
    account = LedgerAccount.objects.filter(kind=AccountKind.GROUP_POT, owner_id=gid).first()
    return account.balance if account else Decimal("0")


def pay_cycle(person, gid, number):
    mine = next(c for c in person.contributions(gid) if c["cycle"] == number)
    answer = person.pay(mine["id"])
    assert answer.status_code == 200, answer.json()


@pytest.fixture
def savings_chama(started_group):
    """A running savings chama of three, KES 1,000 a month from 5 January 2027, shared out on 4 January 2028 (the
    default: a year after the first due date, less a day); the second member is treasurer."""

    def make(**overrides):
        with at("2026-12-01T10:00", NAIROBI):
            group, people = started_group(size=3, funded="50000.00", **{**SAVINGS, **overrides})
            gid = group["id"]
            ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
            people[0].patch(f"groups/{gid}/members/{ids[people[1]]}/", {"role": "treasurer"})
        return group, people, ids

    return make


def test_months_held_counts_a_month_begun_as_whole():
    from datetime import date

    end = date(2028, 1, 4)
    assert months_held(date(2027, 1, 5), end) == 12
    assert months_held(date(2027, 12, 5), end) == 1
    assert months_held(date(2027, 7, 5), end) == 6
    assert months_held(date(2028, 1, 4), end) == 0
    assert months_held(date(2027, 12, 4), end) == 1
    assert months_held(date(2027, 12, 3), end) == 2


def test_a_savings_group_has_no_rotation_and_a_schedule_to_its_share_out(savings_chama):
    group, (chair, _treasurer, member), _ids = savings_chama()
    gid = group["id"]
    assert (group["scheme"], group["share_out_date"], group["allow_top_ups"]) == ("savings", "2028-01-04", True)
    cycles = member.get(f"groups/{gid}/cycles/", page_size=100).json()["results"]
    assert [c["due_date"] for c in cycles][:2] == ["2027-01-05", "2027-02-05"] and len(cycles) == 12
    assert {c["recipient"] for c in cycles} == {None}
    assert Contribution.objects.filter(cycle__group_id=gid).count() == 36
    swap = member.post(f"groups/{gid}/swaps/", {"from_cycle": 1, "to_cycle": 2})
    assert swap.status_code == 409 and swap.json()["error"]["code"] == "swap_not_allowed"
    # the payout job pays nobody before the share-out day
    with at("2027-02-05T10:00", NAIROBI):
        pay_cycle(member, gid, 1)
        assert dispatch_group_job("payouts", every_zone=True) == 1
        assert not ShareOut.objects.exists() and chair.get("payouts/").json()["count"] == 0


def test_bad_savings_settings_are_refused_and_change_nothing(member):
    chair = member()
    for body, code in [
        ({**SAVINGS, "kind": "ajo", "currency": "KES", "security_deposit": "0.00"}, "group_state"),
        ({**SAVINGS, "share_out_date": "2027-01-05"}, "group_state"),
        ({**SAVINGS, "share_out_date": "2029-02-01"}, "group_state"),
        ({**CHAMA, "start_date": "2027-01-05", "allow_top_ups": True}, "group_state"),
        ({**CHAMA, "start_date": "2027-01-05", "share_out_date": "2027-12-01"}, "group_state"),
        ({**SAVINGS, "scheme": "shares"}, "validation_error"),
    ]:
        with at("2026-12-01T10:00", NAIROBI):
            answer = chair.post("groups/", {**AJO, **body, "name": "Bidii"})
        assert answer.status_code in (400, 409), answer.json()
        assert answer.json()["error"]["code"] == code, (body, answer.json())
    assert not SavingsGroup.objects.exists()


def test_twelve_months_of_uneven_savings_a_loan_and_two_fines_share_out_exactly_the_pot(savings_chama):
    """Hand computation, share-out day 2028-01-04; each saving earns the months from its day to then (a month begun
    counts): paid on the 5th of month m, 13 - m months.
    - A saves 1,000 on each of the 12 due dates: 12,000; share-months 1,000 x (12 + 11 + ... + 1) = 78,000.
    - B saves the same and tops up 6,000 on 5 July (6 months): 18,000; 78,000 + 36,000 = 114,000.
    - C saves January to June only: 6,000; 1,000 x (12 + 11 + 10 + 9 + 8 + 7) = 57,000.
    Earnings: B's loan of 5,000 for 3 months at 2% flat pays 300 interest; fines of 200 (C) and 150 (A) are paid:
    650 in all. 65,000 cents by 78,000 : 114,000 : 57,000 = 20,361.45 : 29,759.04 : 14,879.52; floors 20,361 +
    29,759 + 14,879 = 64,999, the last cent to the largest remainder (C): A 203.61, B 297.59, C 148.80.
    Gross: A 12,203.61, B 18,297.59, C 6,148.80 = 36,650.00, the pot. Fee 1% each, rounded: 122.04, 182.98, 61.49.
    """
    group, people, ids = savings_chama()
    gid = group["id"]
    a, b, c = people
    treasurer = b
    for month in range(1, 13):
        with at(f"2027-{month:02d}-05T10:00", NAIROBI):
            for person in (a, b) + ((c,) if month <= 6 else ()):
                pay_cycle(person, gid, month)
            if month == 7:
                top_up = b.post(f"groups/{gid}/savings/top-ups/", {"amount": "6000.00"}, money=True)
                assert top_up.status_code == 201, top_up.json()
    with at("2027-02-10T10:00", NAIROBI):
        loan = b.post(f"groups/{gid}/loans/", {"amount": "5000.00", "term_months": 3, "purpose": "Stock"}).json()
        assert a.post(f"groups/{gid}/loans/{loan['id']}/approve/").status_code == 200
        # two officials approve; the borrower (treasurer) cannot approve their own loan, so the chair and ... the
        # secretary would; here the chair makes C secretary to carry the second approval
        a.patch(f"groups/{gid}/members/{ids[c]}/", {"role": "secretary"})
        assert c.post(f"groups/{gid}/loans/{loan['id']}/approve/").status_code == 200
        disbursed = a.post(f"groups/{gid}/loans/{loan['id']}/disburse/").json()
        assert disbursed["status"] == "disbursed", disbursed
        a.patch(f"groups/{gid}/members/{ids[c]}/", {"role": "member"})
        preview = a.get(f"groups/{gid}/share-outs/preview/").json()
        assert preview["blocked_by"] == {"loans_outstanding": 1}
    for instalment in disbursed["instalments"]:
        with at(f"{instalment['due_date']}T09:00", NAIROBI):
            paid = b.post(f"groups/{gid}/loans/{loan['id']}/repay/", {"amount": instalment["amount"]}, money=True)
            assert paid.status_code == 200, paid.json()
    assert sum(Decimal(i["interest"]) for i in disbursed["instalments"]) == Decimal("300.00")
    with at("2027-08-01T10:00", NAIROBI):
        for person, amount in ((c, "200.00"), (a, "150.00")):
            fined = treasurer.post(
                f"groups/{gid}/fines/", {"membership": ids[person], "amount": amount, "reason": "Late to meeting"}
            )
            assert fined.status_code == 201, fined.json()
            assert person.post(f"penalties/{fined.json()['id']}/pay/", money=True).status_code == 200
    assert pot(gid) == Decimal("36650.00")  # savings 36,000, interest 300, fines 350
    health = a.get(f"groups/{gid}/health/").json()["savings"]
    assert health == {"saved": "36000.00", "next_share_out": "2028-01-04", "share_outs": 0}

    with at("2028-01-03T10:00", NAIROBI):  # the day before: the preview, nothing moves
        preview = c.get(f"groups/{gid}/share-outs/preview/").json()
        assert (preview["as_of"], preview["pot"], preview["earnings"], preview["blocked_by"]) == (
            "2028-01-04",
            "36650.00",
            "650.00",
            {},
        )
        assert [line["user"] for line in preview["lines"]] == [str(c.user.pk)]  # a member sees their own part
        assert len(a.get(f"groups/{gid}/share-outs/preview/").json()["lines"]) == 3  # an official, all
        assert dispatch_group_job("payouts", every_zone=True) == 1 and not ShareOut.objects.exists()

    before = {p: wallet(p) for p in people}
    fee_income = get_house_account(kind=AccountKind.FEE_INCOME, currency="KES")
    fees_before = fee_income.entries.count()
    with at("2028-01-04T10:00", NAIROBI):
        for _ in range(2):  # the job runs twice (a retry, a second beat): one share-out
            dispatch_group_job("payouts", every_zone=True)
    made = ShareOut.objects.get(group_id=gid)
    assert (made.number, str(made.as_of), made.pot, made.savings, made.earnings, made.fee) == (
        1,
        "2028-01-04",
        Decimal("36650.00"),
        Decimal("36000.00"),
        Decimal("650.00"),
        Decimal("366.51"),
    )
    expected = {
        a: ("12000.00", "78000.00", "203.61", "12203.61", "122.04"),
        b: ("18000.00", "114000.00", "297.59", "18297.59", "182.98"),
        c: ("6000.00", "57000.00", "148.80", "6148.80", "61.49"),
    }
    for person, (savings, share_months, earnings, gross, fee) in expected.items():
        line = ShareOutLine.objects.get(share_out=made, membership_id=ids[person])
        assert (str(line.savings), str(line.share_months), str(line.earnings), str(line.gross), str(line.fee)) == (
            savings,
            share_months,
            earnings,
            gross,
            fee,
        )
        assert wallet(person) == before[person] + Decimal(gross) - Decimal(fee)
    assert pot(gid) == Decimal("0.00")
    assert fee_income.entries.count() == fees_before + 1
    assert LedgerTransaction.objects.filter(metadata__share_out=1, reference=gid).count() == 1  # one posting

    # each member's statement of it: every saving and the share-months it earned
    mine = c.get(f"groups/{gid}/share-outs/1/").json()
    assert [line["user"] for line in mine["lines"]] == [str(c.user.pk)]
    assert mine["mine"]["amount"] == "6087.31" and len(mine["mine"]["items"]) == 6
    assert [(i["paid_on"], i["months"], i["share_months"]) for i in mine["mine"]["items"][:2]] == [
        ("2027-01-05", 12, "12000.00"),
        ("2027-02-05", 11, "11000.00"),
    ]
    bs = b.get(f"groups/{gid}/share-outs/").json()[0]["mine"]["items"]
    assert ("top_up", "2027-07-05", 6) in [(i["kind"], i["paid_on"], i["months"]) for i in bs]
    assert c.get(f"groups/{gid}/share-outs/2/").json()["error"]["code"] == "share_out_not_found"
    statement = b.get(f"groups/{gid}/members/{ids[b]}/statement/").json()
    assert statement["totals"]["share_outs"] == "-18114.61", (statement["movements"], statement["totals"])

    # a new period: its cycles run to the next share-out day, and savings start again from zero
    assert Cycle.objects.filter(group_id=gid).count() == 24
    assert Cycle.objects.filter(group_id=gid, number=13).get().due_date.isoformat() == "2028-01-05"
    with at("2028-01-05T10:00", NAIROBI):
        preview = a.get(f"groups/{gid}/share-outs/preview/").json()
        assert (preview["number"], preview["as_of"], preview["savings"]) == (2, "2029-01-04", "0.00")
    assert ledger_discrepancies() == []


def _resolution(official, gid, **extra):
    return official.post(f"groups/{gid}/resolutions/", {"kind": "share_out", "reason": "School fees are due", **extra})


def test_an_early_share_out_by_resolution_needs_a_pass_another_official_and_shares_out_once(savings_chama):
    group, (chair, treasurer, member), _ids = savings_chama(service_fee_percent="0.00")
    gid = group["id"]
    with at("2027-01-05T10:00", NAIROBI):
        for person in (chair, treasurer, member):
            pay_cycle(person, gid, 1)
    with at("2027-03-05T10:00", NAIROBI):
        for person in (chair, treasurer):
            pay_cycle(person, gid, 2)
        proposed = _resolution(chair, gid)
        assert proposed.status_code == 201, proposed.json()
        resolution = proposed.json()
        assert (resolution["amount"], resolution["beneficiary"]) == (None, None)
        early = treasurer.post(f"groups/{gid}/resolutions/{resolution['id']}/execute/", money=True)
        assert early.json()["error"]["code"] == "resolution_state"  # not passed yet
        for person in (chair, treasurer, member):
            person.post(f"groups/{gid}/resolutions/{resolution['id']}/vote/", {"choice": "yes"})
        own = chair.post(f"groups/{gid}/resolutions/{resolution['id']}/execute/", money=True)
        assert own.status_code == 403  # the proposer does not execute
        before = wallet(member)
        done = treasurer.post(f"groups/{gid}/resolutions/{resolution['id']}/execute/", money=True)
        assert done.status_code == 200 and done.json()["status"] == "executed", done.json()
        again = treasurer.post(f"groups/{gid}/resolutions/{resolution['id']}/execute/", money=True)
        assert again.json()["error"]["code"] == "resolution_state"
    made = ShareOut.objects.get(group_id=gid)
    assert (made.pot, made.savings, str(made.as_of), made.resolution_id) == (
        Decimal("5000.00"),
        Decimal("5000.00"),
        "2027-03-05",
        resolution["id"],
    )
    assert wallet(member) == before + Decimal("1000.00") and pot(gid) == Decimal("0.00")
    # the calendar is unchanged: the next share-out is still 4 January 2028, numbered 2
    with at("2027-03-06T10:00", NAIROBI):
        preview = member.get(f"groups/{gid}/share-outs/preview/").json()
        assert (preview["number"], preview["as_of"]) == (2, "2028-01-04")
        # a resolution proposed before a share-out cannot share out what its voters never saw
        stale = _resolution(chair, gid).json()
        for person in (chair, treasurer, member):
            person.post(f"groups/{gid}/resolutions/{stale['id']}/vote/", {"choice": "yes"})
    with at("2028-01-04T10:00", NAIROBI):
        pay_cycle(member, gid, 2)
        dispatch_group_job("payouts", every_zone=True)
        assert ShareOut.objects.filter(group_id=gid).count() == 2
        late = treasurer.post(f"groups/{gid}/resolutions/{stale['id']}/execute/", money=True)
        assert late.json()["error"]["code"] == "resolution_state"
    assert ledger_discrepancies() == []


def test_share_out_resolutions_and_top_ups_belong_to_savings_groups(chama):
    gid, (chair, _treasurer, member), _ids = chama
    assert _resolution(chair, gid).json()["error"]["code"] == "group_state"
    answer = member.post(f"groups/{gid}/savings/top-ups/", {"amount": "100.00"}, money=True)
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "group_state"
    assert member.get(f"groups/{gid}/share-outs/preview/").json()["error"]["code"] == "group_state"
    payment = chair.post(f"groups/{gid}/resolutions/", {"kind": "group_expense", "reason": "Tents", "amount": "100.00"})
    assert payment.json()["error"]["code"] == "resolution_state"  # no beneficiary
    assert ledger_discrepancies() == []


def test_recorded_cash_is_no_savings(savings_chama):
    group, (chair, _treasurer, member), ids = savings_chama()
    gid = group["id"]
    with at("2027-01-05T10:00", NAIROBI):
        answer = chair.post(
            f"groups/{gid}/payments/",
            {
                "membership": ids[member],
                "amount": "1000.00",
                "method": "cash",
                "applies_to": "contribution",
                "receipt_number": "R-1",
                "paid_on": "2027-01-05",
            },
        )
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "group_state", answer.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_period_job_on_two_workers_and_a_payment_at_the_same_moment_share_out_once(savings_chama):
    group, people, ids = savings_chama(service_fee_percent="0.00")
    gid = group["id"]
    with at("2027-01-05T10:00", NAIROBI):
        for person in people:
            pay_cycle(person, gid, 1)
    last = next(c for c in people[2].contributions(gid) if c["cycle"] == 2)
    payer = Membership.objects.select_related("group").get(pk=ids[people[2]])

    def work(i):
        if i < 2:
            return share_out_if_due(group=SavingsGroup.objects.get(pk=gid))
        return pay_contribution(membership=payer, contribution=Contribution.objects.get(pk=last["id"]))

    with at("2028-01-04T10:00", NAIROBI):
        results = run_threads(3, work)
    assert ShareOut.objects.filter(group_id=gid).count() == 1, results
    made = ShareOut.objects.get(group_id=gid)
    paid_late = Contribution.objects.get(pk=last["id"])
    # the payment is in this share-out or waits for the next, never both, never lost
    assert (paid_late.share_out_id == made.pk) == (made.savings == Decimal("4000.00"))
    assert pot(gid) == (Decimal("0.00") if paid_late.share_out_id else Decimal("1000.00"))
    assert ledger_discrepancies() == []


def test_ledger_check_sees_a_share_out_that_paid_a_saver_more_than_their_line(savings_chama):
    group, people, ids = savings_chama(service_fee_percent="0.00")
    gid = group["id"]
    with at("2027-01-05T10:00", NAIROBI):
        for person in people:
            pay_cycle(person, gid, 1)
    with at("2028-01-04T10:00", NAIROBI):
        dispatch_group_job("payouts", every_zone=True)
    assert ledger_discrepancies() == []
    line = ShareOutLine.objects.get(membership_id=ids[people[0]])
    ShareOutLine.objects.filter(pk=line.pk).update(gross=line.gross - 1, amount=line.amount - 1)
    found = ledger_discrepancies()
    assert any("lines do not add up" in p for p in found) and any("not what its lines say" in p for p in found)
