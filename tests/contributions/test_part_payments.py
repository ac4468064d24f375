"""A chama that takes part-payments: any amount joins the member's credit with the group, and the credit settles
whole dues, oldest first, as it adds up; what never adds up goes back to the wallet when the group completes."""

from datetime import date
from decimal import Decimal

import pytest

from contributions.services import pay_in_part, run_payouts
from groups.models import Membership, SavingsGroup
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.factories import pin_token
from tests.fixtures.groups import CHAMA, NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def partial_chama(started_group):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=2, funded="20000.00", **CHAMA, allow_partial_payments=True)
    gid = group["id"]
    ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
    return gid, people, ids


def part(person, gid, amount):
    return person.post(f"groups/{gid}/credit/", {"amount": amount}, money=True)


def wallet(person) -> Decimal:
    return get_wallet(user_id=person.user.pk, currency="KES").balance


def test_part_payments_add_up_to_whole_dues_oldest_first(partial_chama):
    gid, (_chair, member), ids = partial_chama
    first = part(member, gid, "400.00")
    assert first.status_code == 200, first.json()
    assert (first.json()["settled"], first.json()["balance"], first.json()["contributions"]) == ("0.00", "400.00", [])
    assert member.get(f"groups/{gid}/credit/").json() == {"allowed": True, "balance": "400.00", "currency": "KES"}
    assert member.get(f"groups/{gid}/").json()["pot_balance"] == "0.00"

    second = part(member, gid, "700.00").json()
    (cycle_one,) = [c for c in member.contributions(gid) if c["cycle"] == 1]
    assert (second["settled"], second["balance"], second["contributions"]) == ("1000.00", "100.00", [cycle_one["id"]])
    assert cycle_one["status"] == "paid"
    assert [c["status"] for c in member.contributions(gid) if c["cycle"] == 2] == ["pending"]
    assert member.get(f"groups/{gid}/").json()["pot_balance"] == "1000.00"
    statement = member.get(f"groups/{gid}/members/{ids[member]}/statement/").json()
    assert statement["totals"]["credit"] == "100.00" and statement["totals"]["contributions"] == "1000.00"
    assert ledger_discrepancies() == []


def test_a_fine_is_settled_before_any_due(partial_chama):
    gid, (chair, member), ids = partial_chama
    chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "60.00", "reason": "Late"})
    answer = part(member, gid, "1060.00").json()
    assert len(answer["penalties"]) == 1 and len(answer["contributions"]) == 1 and answer["balance"] == "0.00"


def test_a_group_of_whole_dues_refuses_part_payments(chama):
    gid, (_chair, _treasurer, member), _ids = chama
    before = wallet(member)
    refused = part(member, gid, "400.00")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "group_state"
    assert wallet(member) == before


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.234", "abc", ""])
def test_bad_amounts_are_400_and_move_nothing(partial_chama, amount):
    gid, (_chair, member), _ids = partial_chama
    before = wallet(member)
    assert part(member, gid, amount).status_code == 400
    assert wallet(member) == before


def test_unspent_credit_goes_home_when_the_group_completes(partial_chama):
    gid, (chair, member), _ids = partial_chama
    for person in (chair, member):
        for contribution in person.contributions(gid):
            assert person.pay(contribution["id"]).status_code == 200
    part(member, gid, "300.00")  # every due is paid: it waits in the credit
    before = wallet(member)
    group = SavingsGroup.objects.get(pk=gid)
    with at("2027-01-06T10:00", NAIROBI):
        run_payouts(group=group, today=date(2027, 1, 6))
    group.refresh_from_db()
    assert group.status == "completed"
    received = sum((p.amount for p in member.user.group_memberships.get(group_id=gid).payouts.all()), Decimal(0))
    assert wallet(member) == before + Decimal("300.00") + received
    assert member.get(f"groups/{gid}/credit/").json()["balance"] == "0.00"
    assert ledger_discrepancies() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_part_payments_at_once_settle_one_due_exactly(partial_chama):
    gid, (_chair, member), ids = partial_chama
    membership = Membership.objects.get(pk=ids[member])
    results = run_threads(2, lambda _: pay_in_part(membership=membership, amount=Decimal("500.00")))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(len(settled.contributions) for settled, _balance in results) == [0, 1]
    assert member.get(f"groups/{gid}/credit/").json()["balance"] == "0.00"
    assert [c["status"] for c in member.contributions(gid) if c["cycle"] == 1] == ["paid"]
    assert ledger_discrepancies() == []


def test_a_retried_part_payment_moves_the_money_once(partial_chama):
    gid, (_chair, member), _ids = partial_chama
    before = wallet(member)
    headers = {"HTTP_IDEMPOTENCY_KEY": "part-1", "HTTP_X_PIN_TOKEN": pin_token(member.user)}
    first = member.api.post(f"/api/v1/groups/{gid}/credit/", {"amount": "400.00"}, format="json", **headers)
    headers["HTTP_X_PIN_TOKEN"] = pin_token(member.user)
    again = member.api.post(f"/api/v1/groups/{gid}/credit/", {"amount": "400.00"}, format="json", **headers)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert wallet(member) == before - Decimal("400.00")
    assert member.get(f"groups/{gid}/credit/").json()["balance"] == "400.00"
