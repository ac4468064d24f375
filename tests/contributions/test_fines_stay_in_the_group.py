"""Fines, late penalties, absence fines and loan late fees belong to the group: they land in its pot, never in
Pamoja's income, and the statements say what they were. Pamoja keeps only its service fee."""

from datetime import date
from decimal import Decimal

import pytest

from contributions.models import Penalty
from contributions.services import run_payouts
from groups.models import SavingsGroup
from payments.models import AccountKind, LedgerEntry
from payments.selectors import ledger_discrepancies
from tests.fixtures.groups import at

pytestmark = pytest.mark.django_db


def income(kind) -> Decimal:
    """What the house accounts of `kind` took in, from their entries (house balances are not kept on the row)."""
    return sum((e.amount for e in LedgerEntry.objects.filter(account__kind=kind)), Decimal("0"))


def pot_balance(member, gid) -> Decimal:
    return Decimal(member.get(f"groups/{gid}/").json()["pot_balance"])


def test_a_fine_paid_from_the_wallet_goes_to_the_pot_and_shows_as_a_penalty(chama):
    gid, (chair, treasurer, member), ids = chama
    fined = chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "60.00", "reason": "Late"})
    assert fined.status_code == 201, fined.json()
    before = pot_balance(chair, gid)
    paid = member.post(f"penalties/{fined.json()['id']}/pay/", money=True)
    assert paid.status_code == 200, paid.json()
    assert pot_balance(chair, gid) == before + Decimal("60.00")
    assert income(AccountKind.PENALTY_INCOME) == 0
    statement = member.get(f"groups/{gid}/members/{ids[member]}/statement/").json()
    assert statement["totals"]["penalties"] == "60.00" and statement["totals"]["contributions"] == "0.00"
    group = treasurer.get(f"groups/{gid}/statement/").json()
    assert group["totals"]["penalties"] == "60.00"
    assert Decimal(group["closing_balance"]) == pot_balance(chair, gid)
    assert ledger_discrepancies() == []


def test_a_penalty_netted_from_a_payout_stays_in_the_pot(chama):
    gid, (chair, treasurer, member), ids = chama
    fined = treasurer.post(f"groups/{gid}/fines/", {"membership": ids[chair], "amount": "100.00", "reason": "Absent"})
    assert fined.status_code == 201, fined.json()
    for person in (treasurer, member):  # the chair, cycle 1's recipient, leaves both share and fine unpaid
        mine = next(c for c in person.contributions(gid) if c["cycle"] == 1)
        assert person.pay(mine["id"]).status_code == 200
    with at("2027-01-05T10:00"):
        (payout,) = run_payouts(group=SavingsGroup.objects.get(pk=gid), today=date(2027, 1, 5))
    # 3,000 due; Pamoja's 1% fee (30) is its only income; the chair's own share (1,000) and fine (100) are netted,
    # and the fine stays with the group
    assert (payout.fee, payout.deductions, payout.amount) == (
        Decimal("30.00"),
        Decimal("1100.00"),
        Decimal("1870.00"),
    )
    assert pot_balance(chair, gid) == Decimal("100.00")
    assert income(AccountKind.PENALTY_INCOME) == 0 and income(AccountKind.FEE_INCOME) == Decimal("30.00")
    assert Penalty.objects.get(membership_id=ids[chair]).status == "paid"
    chairs = chair.get(f"groups/{gid}/members/{ids[chair]}/statement/").json()
    assert chairs["totals"]["penalties"] == "100.00" and chairs["totals"]["payouts"] == "-1870.00"
    assert ledger_discrepancies() == []
