"""Chama loans from application to the last repayment, for flat and reducing-balance interest."""

from datetime import date
from decimal import Decimal

import pytest

from contributions.services import cash_book_of, loan_schedule, pot_of
from contributions.tasks import dispatch_group_job
from groups.models import Membership, SavingsGroup
from payments.models import AccountKind, LedgerAccount, LedgerEntry, TransactionKind
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_house_account, get_wallet, post_transaction
from tests.fixtures.groups import NAIROBI, at

pytestmark = pytest.mark.django_db

CHAMA = {
    "kind": "chama",
    "currency": "KES",
    "time_zone": "Africa/Nairobi",
    "contribution_amount": "10000.00",
    "security_deposit": "0.00",
    "penalty_kind": "none",
    "service_fee_percent": "0.00",
    "default_policy": "payout_waits",
    "grace_days": 0,
}


@pytest.mark.parametrize(
    ("method", "principal", "months", "rate"),
    [
        ("flat", "10000.00", 3, "1.50"),
        ("flat", "1000.00", 7, "2.25"),
        ("reducing", "10000.00", 3, "1.50"),
        ("reducing", "12345.67", 11, "3.33"),
        ("reducing", "500.00", 1, "0"),
        ("reducing", "100000", 12, "1.75"),
    ],
)
def test_a_schedule_adds_up_exactly(method, principal, months, rate):
    planned = loan_schedule(
        principal=Decimal(principal),
        term_months=months,
        monthly_rate=Decimal(rate),
        method=method,
        currency="KES",
        start=date(2027, 1, 31),
    )
    assert len(planned) == months
    assert sum(p.principal for p in planned) == Decimal(principal)
    assert all(p.principal >= 0 and p.interest >= 0 for p in planned)
    assert all(p.amount == p.amount.quantize(Decimal("0.01")) for p in planned)
    assert [p.due_date for p in planned][:2] == [date(2027, 2, 28), date(2027, 3, 31)][: min(2, months)]
    amounts = [p.amount for p in planned]
    assert max(amounts) - min(amounts) <= Decimal("0.05")  # equal instalments, up to rounding
    if method == "flat":
        assert sum(p.interest for p in planned) == (Decimal(principal) * Decimal(rate) / 100 * months).quantize(
            Decimal("0.01")
        )


def test_the_reducing_balance_schedule_matches_the_textbook_annuity():
    planned = loan_schedule(
        principal=Decimal("10000.00"),
        term_months=3,
        monthly_rate=Decimal("1.50"),
        method="reducing",
        currency="KES",
        start=date(2027, 1, 10),
    )
    # payment = 10000 * 0.015 / (1 - 1.015**-3) = 3433.83
    assert [(p.principal, p.interest) for p in planned] == [
        (Decimal("3283.83"), Decimal("150.00")),
        (Decimal("3333.09"), Decimal("100.74")),
        (Decimal("3383.08"), Decimal("50.75")),
    ]


@pytest.fixture
def chama(started_group):
    """A running chama of three; everyone has paid three months ahead (30,000 each), so each may borrow 90,000."""

    def make(**overrides):
        with at("2026-12-01T10:00", NAIROBI):
            group, people = started_group(size=3, funded="100000.00", **{**CHAMA, **overrides})
            for person in people:
                mine = next(c for c in person.contributions(group["id"]) if c["cycle"] == 3)
                assert person.pay(mine["id"]).status_code == 200
            treasurer = Membership.objects.get(group_id=group["id"], user=people[1].user)
            people[0].patch(f"groups/{group['id']}/members/{treasurer.pk}/", {"role": "treasurer"})
        return group, people

    return make


def loan_path(gid, loan_id="", action=""):
    return f"groups/{gid}/loans/" + (f"{loan_id}/" if loan_id else "") + (f"{action}/" if action else "")


def test_pot_money_reserved_for_payouts_is_not_lent(chama):
    group, (chair, _treasurer, _borrower) = chama()
    gid = group["id"]
    with at("2026-12-02T10:00", NAIROBI):
        book = chair.get(loan_path(gid)).json()["book"]
        assert book["lendable"] == "0.00"  # all 90,000 in the pot belongs to the three open cycles


@pytest.mark.parametrize("method", ["flat", "reducing"])
def test_a_loan_from_application_to_the_last_repayment(chama, method, django_capture_on_commit_callbacks):
    group, (chair, treasurer, borrower) = chama(
        loan_interest_method=method, loan_monthly_rate="2.00", loan_late_fee="300.00", registration_fee="0.00"
    )
    gid = group["id"]
    guarantor = chair
    with at("2027-01-05T10:00", NAIROBI):
        dispatch_group_job.delay("payouts")  # cycle 1 paid to the chair: 30,000 leaves the pot
        assert chair.get("payouts/").json()["count"] == 1
    with at("2027-01-06T10:00", NAIROBI):
        wanted = {"amount": "20000.00", "term_months": 3, "purpose": "Stock for the shop"}
        too_much = borrower.post(loan_path(gid), {**wanted, "amount": "90000.01"})
        assert too_much.status_code == 409, too_much.json()
        assert too_much.json()["error"]["details"].get("limit") == "90000.00", too_much.json()
        applied = borrower.post(
            loan_path(gid),
            {**wanted, "guarantors": [{"membership": _membership(guarantor, gid), "amount": "5000.00"}]},
        )
        assert applied.status_code == 201, applied.json()
        loan = applied.json()
        assert loan["status"] == "applied" and len(loan["planned_schedule"]) == 3
        assert sum(Decimal(p["principal"]) for p in loan["planned_schedule"]) == Decimal("20000.00")

        # the borrower cannot approve their own loan; a plain member is no official
        assert borrower.post(loan_path(gid, loan["id"], "approve")).status_code == 403
        assert chair.post(loan_path(gid, loan["id"], "approve")).status_code == 200
        assert chair.post(loan_path(gid, loan["id"], "approve")).json()["error"]["code"] == "loan_state"
        approved = treasurer.post(loan_path(gid, loan["id"], "approve")).json()
        assert approved["status"] == "approved"
        refused = treasurer.post(loan_path(gid, loan["id"], "disburse"))
        assert refused.json()["error"]["code"] == "loan_state"  # the guarantor has not accepted yet
        guarantee = approved["guarantees"][0]["id"]
        assert guarantor.post(f"groups/{gid}/guarantees/{guarantee}/accept/").status_code == 200

        # the pot holds 60,000, all of it owed to cycles 2 and 3: nothing to lend yet
        assert treasurer.post(loan_path(gid, loan["id"], "disburse")).json()["error"]["code"] == "insufficient_funds"
    _free_money_into_the_pot(gid, "25000.00")
    with at("2027-01-06T11:00", NAIROBI):
        before = get_wallet(user_id=borrower.user.pk, currency="KES").balance
        disbursed = treasurer.post(loan_path(gid, loan["id"], "disburse")).json()
        assert disbursed["status"] == "disbursed", disbursed
        assert get_wallet(user_id=borrower.user.pk, currency="KES").balance == before + Decimal("20000.00")
        schedule = disbursed["instalments"]
        assert [i["due_date"] for i in schedule] == ["2027-02-06", "2027-03-06", "2027-04-06"]
        assert sum(Decimal(i["principal"]) for i in schedule) == Decimal("20000.00")
        assert ledger_discrepancies() == []

    # the first instalment is paid on time; the second is late and takes a late fee, once
    with at("2027-02-06T09:00", NAIROBI):
        first = schedule[0]["amount"]
        assert _repay(borrower, gid, loan["id"], first).status_code == 200
    with at("2027-03-08T01:00", NAIROBI):
        for _ in range(3):
            dispatch_group_job.delay("penalties")
        detail = borrower.get(loan_path(gid, loan["id"])).json()
        assert [i["late_fee"] for i in detail["instalments"]] == ["0.00", "300.00", "0.00"]
        # a loan in arrears blocks another
        assert borrower.post(loan_path(gid), {**wanted, "amount": "100.00"}).json()["error"]["code"] == "loan_refused"
    with at("2027-03-09T12:00", NAIROBI):
        # late fee, then interest, then principal: exactly the second instalment and its fee
        second = Decimal(schedule[1]["amount"]) + Decimal("300.00")
        assert _repay(borrower, gid, loan["id"], second).status_code == 200
        detail = borrower.get(loan_path(gid, loan["id"])).json()
        assert [i["status"] for i in detail["instalments"]] == ["paid", "paid", "pending"]
        payoff = Decimal(detail["payoff_today"])
        assert payoff == Decimal(schedule[2]["amount"])  # the third month has begun: its interest is due
        over = _repay(borrower, gid, loan["id"], str(payoff + Decimal("0.01")))
        assert over.json()["error"]["code"] == "repayment_too_large"
        assert over.json()["error"]["details"]["payoff"] == str(payoff)
        closed = _repay(borrower, gid, loan["id"], str(payoff))
        assert closed.status_code == 200, closed.json()
        assert closed.json()["status"] == "repaid"
        assert closed.json()["outstanding_principal"] == "0.00"
        assert closed.json()["guarantees"][0]["status"] == "released"
        interest = sum(Decimal(i["interest"]) for i in schedule)
        assert get_wallet(user_id=borrower.user.pk, currency="KES").balance == before - interest - Decimal("300.00")

    account = LedgerAccount.objects.get(kind=AccountKind.LOAN_RECEIVABLE, owner_id=str(loan["id"]))
    assert account.balance == Decimal("0.00")
    assert sum(e.amount for e in get_house_account(kind=AccountKind.LOANS_ISSUED, currency="KES").entries.all()) == 0
    # the late fee, like the interest, is the group's: Pamoja took no penalty income
    assert not LedgerEntry.objects.filter(account__kind=AccountKind.PENALTY_INCOME).exists()
    repayments = LedgerEntry.objects.filter(
        transaction__metadata__loan=loan["id"], transaction__metadata__has_key="interest", account__kind="group_pot"
    )
    assert sum(e.amount for e in repayments) == Decimal("20000.00") + interest + Decimal("300.00")
    assert ledger_discrepancies() == []


def _membership(person, gid) -> int:
    return Membership.objects.get(group_id=gid, user=person.user).pk


def _repay(person, gid, loan_id, amount):
    return person.post(loan_path(gid, loan_id, "repay"), {"amount": str(amount)}, money=True)


def _free_money_into_the_pot(gid, amount):
    """Money the group owns outright (as registration fees or interest would be), posted from suspense."""
    pot = pot_of(SavingsGroup.objects.get(pk=gid))
    post_transaction(
        kind=TransactionKind.ADJUSTMENT,
        legs=[
            Leg(get_house_account(kind=AccountKind.SUSPENSE, currency="KES"), -Decimal(amount)),
            Leg(pot, Decimal(amount)),
        ],
        idempotency_key=f"test-pot:{gid}:{amount}",
    )


@pytest.mark.parametrize(("method", "dropped"), [("reducing", True), ("flat", False)])
def test_early_repayment_recalculates_interest_for_reducing_balance_only(chama, method, dropped):
    group, (chair, treasurer, borrower) = chama(loan_interest_method=method, loan_monthly_rate="2.00")
    gid = group["id"]
    _free_money_into_the_pot(gid, "10000.00")
    with at("2026-12-02T10:00", NAIROBI):
        loan = borrower.post(loan_path(gid), {"amount": "9000.00", "term_months": 3, "purpose": "School fees"}).json()
        chair.post(loan_path(gid, loan["id"], "approve"))
        treasurer.post(loan_path(gid, loan["id"], "approve"))
        schedule = treasurer.post(loan_path(gid, loan["id"], "disburse")).json()["instalments"]
    with at("2026-12-20T10:00", NAIROBI):  # inside the first month
        payoff = Decimal(borrower.get(loan_path(gid, loan["id"])).json()["payoff_today"])
        interest = [Decimal(i["interest"]) for i in schedule]
        expected = Decimal("9000.00") + (interest[0] if dropped else sum(interest))
        assert payoff == expected
        closed = _repay(borrower, gid, loan["id"], str(payoff)).json()
        assert closed["status"] == "repaid"
        assert [i["status"] for i in closed["instalments"]] == ["paid"] * 3
    assert ledger_discrepancies() == []


def test_two_officials_write_a_loan_off(chama):
    group, (chair, treasurer, borrower) = chama()
    gid = group["id"]
    _free_money_into_the_pot(gid, "10000.00")
    with at("2026-12-02T10:00", NAIROBI):
        loan = borrower.post(loan_path(gid), {"amount": "6000.00", "term_months": 2, "purpose": "Rent"}).json()
        chair.post(loan_path(gid, loan["id"], "approve"))
        treasurer.post(loan_path(gid, loan["id"], "approve"))
        treasurer.post(loan_path(gid, loan["id"], "disburse"))
    with at("2027-06-01T10:00", NAIROBI):
        assert chair.get(loan_path(gid)).json()["book"]["in_arrears"] == [loan["id"]]
        assert borrower.post(loan_path(gid, loan["id"], "write-off")).status_code == 403
        assert chair.post(loan_path(gid, loan["id"], "write-off"), {"reason": "moved away"}).json()["status"] == (
            "disbursed"
        )
        done = treasurer.post(loan_path(gid, loan["id"], "write-off"), {"reason": "moved away"}).json()
        assert done["status"] == "written_off" and done["outstanding_principal"] == "0.00"
        book = chair.get(loan_path(gid)).json()["book"]
        assert (book["written_off"], book["outstanding"], book["in_arrears"]) == ("6000.00", "0.00", [])
    assert ledger_discrepancies() == []


def test_a_guarantee_is_held_on_the_guarantors_savings_until_the_loan_is_repaid(chama):
    group, (chair, treasurer, borrower) = chama()
    gid = group["id"]
    _free_money_into_the_pot(gid, "50000.00")
    guarantor = treasurer
    with at("2026-12-02T10:00", NAIROBI):
        too_big = borrower.post(
            loan_path(gid),
            {
                "amount": "40000.00",
                "term_months": 2,
                "purpose": "Boda boda",
                "guarantors": [{"membership": _membership(guarantor, gid), "amount": "30000.01"}],
            },
        ).json()
        refused = guarantor.post(f"groups/{gid}/guarantees/{too_big['guarantees'][0]['id']}/accept/")
        assert refused.json()["error"]["code"] == "loan_refused"  # 30,000 saved, 30,000.01 asked
        chair.post(loan_path(gid, too_big["id"], "reject"), {"reason": "Too large"})

        loan = borrower.post(
            loan_path(gid),
            {
                "amount": "40000.00",
                "term_months": 2,
                "purpose": "Boda boda",
                "guarantors": [{"membership": _membership(guarantor, gid), "amount": "20000.00"}],
            },
        ).json()
        guarantee = loan["guarantees"][0]["id"]
        assert guarantor.post(f"groups/{gid}/guarantees/{guarantee}/accept/").json()["status"] == "accepted"
        # the guarantor's own limit falls: (30,000 saved - 20,000 held) x 3
        limit = guarantor.post(loan_path(gid), {"amount": "30000.01", "term_months": 1, "purpose": "x"}).json()
        assert limit["error"]["details"]["limit"] == "30000.00"
        chair.post(loan_path(gid, loan["id"], "approve"))
        assert guarantor.post(loan_path(gid, loan["id"], "approve")).status_code == 200
        treasurer.post(loan_path(gid, loan["id"], "disburse"))
        payoff = borrower.get(loan_path(gid, loan["id"])).json()["payoff_today"]
        assert _repay(borrower, gid, loan["id"], payoff).json()["guarantees"][0]["status"] == "released"
        allowed = guarantor.post(loan_path(gid), {"amount": "90000.00", "term_months": 1, "purpose": "x"})
        assert allowed.status_code == 201


def test_a_loan_repaid_in_cash_pays_the_loan_down_into_the_cash_book_not_the_pot(chama):
    """Cash an official takes for a loan is off-platform: the receivable falls, the cash book rises, the pot and
    income do not move."""
    group, (chair, treasurer, borrower) = chama(loan_monthly_rate="2.00", registration_fee="0.00")
    gid = group["id"]
    _free_money_into_the_pot(gid, "25000.00")
    with at("2027-01-06T10:00", NAIROBI):
        loan = borrower.post(loan_path(gid), {"amount": "20000.00", "term_months": 2, "purpose": "Stock"}).json()
        chair.post(loan_path(gid, loan["id"], "approve"))
        treasurer.post(loan_path(gid, loan["id"], "approve"))
        disbursed = treasurer.post(loan_path(gid, loan["id"], "disburse")).json()
        assert disbursed["status"] == "disbursed", disbursed
    pot_before = chair.get(f"groups/{gid}/").json()["pot_balance"]
    wallet_before = get_wallet(user_id=borrower.user.pk, currency="KES").balance
    first = disbursed["instalments"][0]["amount"]
    with at("2027-02-06T09:00", NAIROBI):
        recorded = treasurer.post(
            f"groups/{gid}/payments/",
            {
                "membership": _membership(borrower, gid),
                "amount": first,
                "method": "bank",
                "receipt_number": "BANK-1",
                "paid_on": "2027-02-06",
                "applies_to": "loan",
                "target": loan["id"],
            },
        )
        assert recorded.status_code == 201, recorded.json()
        assert chair.post(f"groups/{gid}/payments/{recorded.json()['id']}/confirm/").status_code == 200
        detail = borrower.get(loan_path(gid, loan["id"])).json()
        assert detail["instalments"][0]["status"] == "paid"
    assert chair.get(f"groups/{gid}/").json()["pot_balance"] == pot_before
    assert get_wallet(user_id=borrower.user.pk, currency="KES").balance == wallet_before
    assert cash_book_of(SavingsGroup.objects.get(pk=gid), "bank").balance == Decimal(first)
    receivable = LedgerAccount.objects.get(kind=AccountKind.LOAN_RECEIVABLE, owner_id=str(loan["id"]))
    assert receivable.balance == Decimal("20000.00") - Decimal(disbursed["instalments"][0]["principal"])
    assert ledger_discrepancies() == []
