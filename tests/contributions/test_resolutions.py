"""Spending the group's money by vote: the welfare fund's dues, resolutions proposed by an official, voted by the
members, decided by quorum and majority, and paid once by another official — never without a pass, never twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from contributions.errors import ResolutionStateError
from contributions.models import Resolution
from contributions.services import close_due_resolutions, execute_resolution, pay_welfare
from contributions.services.ledger import post_for_group, welfare_of
from groups.models import Membership, SavingsGroup
from notifications.models import Notification
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_wallet
from tests.fixtures.groups import CHAMA, NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def welfare_chama(started_group):
    """A running chama of three with a welfare fund of KES 100 per cycle; the second member is treasurer."""
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=3, funded="20000.00", **CHAMA, welfare_contribution="100.00")
        gid = group["id"]
        ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
        people[0].patch(f"groups/{gid}/members/{ids[people[1]]}/", {"role": "treasurer"})
    return gid, people, ids


def fund(gid) -> Decimal:
    account = LedgerAccount.objects.filter(kind=AccountKind.GROUP_WELFARE, owner_id=gid).first()
    return account.balance if account else Decimal("0")


def wallet(person) -> Decimal:
    return get_wallet(user_id=person.user.pk, currency="KES").balance


def pay_dues(people, gid, cycle=1):
    for person in people:
        answer = person.post(f"groups/{gid}/welfare/pay/", {"cycle": cycle}, money=True)
        assert answer.status_code == 201, answer.json()


def propose(official, gid, beneficiary_id, amount="250.00", kind="welfare_payout", **extra):
    return official.post(
        f"groups/{gid}/resolutions/",
        {"kind": kind, "amount": amount, "beneficiary": beneficiary_id, "reason": "Bereavement", **extra},
    )


def test_welfare_dues_are_paid_once_per_cycle_into_their_own_fund(welfare_chama):
    gid, (chair, treasurer, member), _ids = welfare_chama
    before = wallet(member)
    pay_dues([member], gid)
    again = member.post(f"groups/{gid}/welfare/pay/", {"cycle": 1}, money=True)
    assert again.status_code == 409 and again.json()["error"]["code"] == "welfare_already_paid"
    assert member.post(f"groups/{gid}/welfare/pay/", {"cycle": 99}, money=True).status_code == 404
    assert wallet(member) == before - Decimal("100.00") and fund(gid) == Decimal("100.00")
    mine = member.get(f"groups/{gid}/welfare/").json()
    assert (mine["contribution"], mine["balance"]) == ("100.00", "100.00") and len(mine["contributions"]) == 1
    pay_dues([chair], gid)
    assert len(treasurer.get(f"groups/{gid}/welfare/").json()["contributions"]) == 2
    assert len(member.get(f"groups/{gid}/welfare/").json()["contributions"]) == 1
    assert member.get(f"groups/{gid}/").json()["pot_balance"] == "0.00"  # the fund is not the pot
    health = treasurer.get(f"groups/{gid}/health/").json()
    assert (health["welfare_balance"], health["resolutions_open"]) == ("200.00", 0)
    assert ledger_discrepancies() == []


def test_a_welfare_payout_needs_a_passed_resolution_and_another_official_and_pays_once(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    pay_dues([chair, treasurer, member], gid)
    refused = propose(member, gid, ids[member])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "officials_only"
    proposed = propose(chair, gid, ids[member])
    assert proposed.status_code == 201, proposed.json()
    rid = proposed.json()["id"]
    assert proposed.json()["status"] == "open" and proposed.json()["eligible_voters"] == 3
    early = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert early.status_code == 409 and early.json()["error"]["code"] == "resolution_state"

    for person, choice in ((chair, "yes"), (treasurer, "yes")):
        assert person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": choice}).status_code == 200
    twice = chair.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "no"})
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "resolution_state"
    last = member.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "no"}).json()
    assert (last["status"], last["yes_votes"], last["no_votes"], last["my_vote"]) == ("passed", 2, 1, "no")

    by_proposer = chair.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert by_proposer.status_code == 403 and fund(gid) == Decimal("300.00")
    before = wallet(member)
    paid = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == "executed"
    again = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert again.status_code == 409
    assert wallet(member) == before + Decimal("250.00") and fund(gid) == Decimal("50.00")
    assert Notification.objects.filter(user=member.user, event="resolution_paid").count() == 1
    assert Notification.objects.filter(event="resolution_proposed").count() == 3
    assert Notification.objects.filter(event="resolution_passed").count() == 3
    assert ledger_discrepancies() == []


def test_without_quorum_it_fails_at_its_deadline_and_moves_nothing(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    pay_dues([chair, treasurer, member], gid)
    rid = propose(chair, gid, ids[member], voting_days=2).json()["id"]
    chair.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})  # 1 of 3: under the 50% quorum
    assert close_due_resolutions() == 0  # still open
    with time_machine.travel(timezone.now() + timedelta(days=2, minutes=1)):
        late = member.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
        assert late.status_code == 409
        assert close_due_resolutions() == 1 and close_due_resolutions() == 0
    assert chair.get(f"groups/{gid}/resolutions/{rid}/").json()["status"] == "failed"
    refused = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert refused.status_code == 409 and fund(gid) == Decimal("300.00")
    assert Notification.objects.filter(event="resolution_failed").count() == 3


def test_a_tie_is_no_majority(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    rid = propose(chair, gid, ids[member]).json()["id"]
    chair.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    treasurer.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "no"})
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        close_due_resolutions()
    assert Resolution.objects.get(pk=rid).status == "failed"  # quorum (2 of 3) met, but 1 yes is not > 50%


def test_spending_from_the_pot_never_takes_what_open_cycles_are_owed(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    for person in (chair, treasurer, member):
        mine = next(c for c in person.contributions(gid) if c["cycle"] == 1)
        assert person.pay(mine["id"]).status_code == 200
    proposed = propose(chair, gid, ids[treasurer], amount="500.00", kind="group_expense")
    rid = proposed.json()["id"]
    for person in (chair, treasurer, member):
        person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    refused = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "insufficient_funds"
    assert Resolution.objects.get(pk=rid).status == "passed"  # still payable once the pot holds enough
    assert member.get(f"groups/{gid}/").json()["pot_balance"] == "3000.00"


def test_bad_proposals_and_votes_are_refused(welfare_chama, started_group):
    gid, (chair, _treasurer, member), ids = welfare_chama
    rid = propose(chair, gid, ids[member]).json()["id"]
    assert member.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "maybe"}).status_code == 400
    assert propose(chair, gid, ids[member], voting_days=30).status_code == 400
    assert propose(chair, gid, ids[member], amount="-5").status_code == 400
    assert propose(chair, gid, 999999).status_code == 404
    assert chair.get(f"groups/{gid}/resolutions/999999/").status_code == 404
    with at("2026-12-01T10:00", NAIROBI):
        other_gid, (outsider, *_rest) = started_group(size=2, funded="100.00", **CHAMA)
    assert outsider.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"}).status_code == 404
    no_fund = outsider.post(
        f"groups/{other_gid['id']}/resolutions/",
        {"kind": "welfare_payout", "amount": "10.00", "beneficiary": 1, "reason": "x"},
    )
    assert no_fund.status_code in (404, 409)
    assert Resolution.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_executions_at_once_pay_once(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    pay_dues([chair, treasurer, member], gid)
    rid = propose(chair, gid, ids[member]).json()["id"]
    for person in (chair, treasurer, member):
        person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    resolution = Resolution.objects.get(pk=rid)
    officials = [Membership.objects.get(pk=ids[treasurer]), Membership.objects.get(pk=ids[treasurer])]
    results = run_threads(2, lambda i: execute_resolution(actor=officials[i], resolution=resolution))
    assert sorted(type(r).__name__ for r in results) == ["Resolution", "ResolutionStateError"]
    assert isinstance(next(r for r in results if not isinstance(r, Resolution)), ResolutionStateError)
    assert LedgerTransaction.objects.filter(idempotency_key=f"resolution:{rid}").count() == 1
    assert fund(gid) == Decimal("50.00") and ledger_discrepancies() == []


def test_statements_show_welfare_dues_and_payouts(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    pay_dues([chair, treasurer, member], gid)
    rid = propose(chair, gid, ids[member]).json()["id"]
    for person in (chair, treasurer, member):
        person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    assert treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True).status_code == 200
    statement = member.get(f"groups/{gid}/members/{ids[member]}/statement/").json()
    assert statement["totals"]["welfare"] == "-150.00"  # 100 paid in, 250 paid out
    assert [m["amount"] for m in statement["movements"]] == ["100.00", "-250.00"]


def test_ledger_check_sees_a_resolution_paid_twice_or_a_fund_that_does_not_add_up(welfare_chama):
    gid, (chair, treasurer, member), ids = welfare_chama
    pay_dues([chair, treasurer, member], gid)
    rid = propose(chair, gid, ids[member]).json()["id"]
    for person in (chair, treasurer, member):
        person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert ledger_discrepancies() == []
    group = SavingsGroup.objects.get(pk=gid)
    post_for_group(  # what a bug paying it a second time would post
        group=group,
        kind=TransactionKind.WELFARE,
        legs=[
            Leg(welfare_of(group), Decimal("-50.00")),
            Leg(get_wallet(user_id=member.user.pk, currency="KES"), Decimal("50.00")),
        ],
        idempotency_key="tampered",
        what="again",
        resolution=rid,
    )
    problems = ledger_discrepancies()
    assert any("records another payment" in p for p in problems)
    assert any("welfare fund of group" in p for p in problems)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_welfare_dues_paid_twice_at_once_are_paid_once(welfare_chama):
    gid, (_chair, _treasurer, member), ids = welfare_chama
    membership = Membership.objects.select_related("group").get(pk=ids[member])
    cycle = membership.group.cycles.get(number=1)
    results = run_threads(2, lambda _: pay_welfare(membership=membership, cycle=cycle))
    assert sorted(type(r).__name__ for r in results) == ["WelfareAlreadyPaidError", "WelfareContribution"]
    assert fund(gid) == Decimal("100.00") and ledger_discrepancies() == []


def test_the_rules_of_a_running_group_change_only_by_a_passed_resolution_another_official_confirms(welfare_chama):
    gid, (chair, treasurer, member), _ids = welfare_chama
    direct = chair.patch(f"groups/{gid}/", {"rules": "No fines."})
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "group_settings_locked", direct.json()
    bare = chair.post(f"groups/{gid}/resolutions/", {"kind": "rule_change", "reason": "Lateness"})
    assert bare.json()["error"]["code"] == "resolution_state"  # the new rules are missing
    proposed = chair.post(
        f"groups/{gid}/resolutions/",
        {"kind": "rule_change", "reason": "Lateness", "new_rules": "Meetings start at 6pm sharp."},
    )
    assert proposed.status_code == 201, proposed.json()
    rid = proposed.json()["id"]
    assert (proposed.json()["amount"], proposed.json()["new_rules"]) == (None, "Meetings start at 6pm sharp.")
    assert Notification.objects.filter(user=member.user, event="rules_proposed").count() == 1
    for person in (chair, treasurer, member):
        person.post(f"groups/{gid}/resolutions/{rid}/vote/", {"choice": "yes"})
    assert chair.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True).status_code == 403
    done = treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True)
    assert done.status_code == 200 and done.json()["status"] == "executed", done.json()
    assert SavingsGroup.objects.get(pk=gid).rules == "Meetings start at 6pm sharp."
    assert treasurer.post(f"groups/{gid}/resolutions/{rid}/execute/", money=True).status_code == 409
    assert not LedgerTransaction.objects.filter(idempotency_key=f"resolution:{rid}").exists()
    assert ledger_discrepancies() == []
