"""Issue 11, holes 2 and 5: a group's state changes that money depends on, raced on PostgreSQL.

Hole 2: dues paid at the moment the chair cancels must end either refused (wallet untouched) or refunded by the
cancel (wallet back where it was, escrow and pot empty). Hole 5: a member leaving at the moment the chair starts
the group must end either gone before the schedule was built (no turn, no dues owed) or refused (still a member).
"""

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from contributions.models import Contribution, Cycle
from contributions.services import escrow_of, pot_of
from groups import services
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup
from payments.models import LedgerTransaction
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.factories import pin_token
from tests.fixtures.groups import LAGOS, NAIROBI, at
from tests.fixtures.threads import run_threads

TRIALS = 20  # per race, each on a fresh group
DUES_TRIALS = 12  # per kind of dues, with two members paying while the chair cancels

# A chama's registration fee goes to the pot; an ajo's security deposit to the member's escrow: race both.
CHAMA_FEE = {
    "kind": "chama",
    "currency": "KES",
    "time_zone": "Africa/Nairobi",
    "security_deposit": "0.00",
    "registration_fee": "1000.00",
    "penalty_kind": "none",
    "default_policy": "payout_waits",
}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _is_error(answer, status: int, code: str | None = None) -> bool:
    body = answer.json()
    return (
        answer.status_code == status
        and set(body) == {"error"}
        and {"code", "message", "details"} <= set(body["error"])
        and (code is None or body["error"]["code"] == code)
    )


def _balance(user, currency: str) -> Decimal:
    return get_wallet(user_id=user.pk, currency=currency).balance


def _assert_refunded_or_refused(group_id: str, people, before: dict, dues_answer) -> None:
    group = SavingsGroup.objects.get(pk=group_id)
    assert group.status == GroupStatus.CANCELLED
    if dues_answer.status_code != 200:
        assert _is_error(dues_answer, 409, "group_state"), (dues_answer.status_code, dues_answer.json())
    for person in people:
        membership = Membership.objects.select_related("group").get(group=group, user=person.user)
        assert _balance(person.user, group.currency) == before[person.user.pk], "dues stuck after the cancel"
        assert membership.dues_paid_at is None
        assert escrow_of(membership).balance == 0
    assert pot_of(group).balance == 0


@pytest.mark.parametrize("overrides", [{}, CHAMA_FEE], ids=["ajo-deposit", "chama-fee"])
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dues_paid_while_the_chair_cancels_are_refused_or_refunded(forming_group, overrides):
    outcomes = []
    with at("2026-12-01T10:00", NAIROBI):
        for _trial in range(DUES_TRIALS):
            group, (chair, payer, late) = forming_group(size=3, **overrides)
            gid = group["id"]
            before = {p.user.pk: _balance(p.user, group["currency"]) for p in (chair, payer, late)}
            assert chair.post(f"groups/{gid}/dues/", money=True).status_code == 200  # paid before the race
            tokens = {p.user.pk: pin_token(p.user) for p in (payer, late)}

            def act(index: int, gid=gid, tokens=tokens, payer=payer, late=late, chair=chair):
                if index == 0:
                    return _client(chair.user).post(
                        f"/api/v1/groups/{gid}/cancel/", {"reason": "changed our minds"}, format="json"
                    )
                who = payer if index == 1 else late
                return _client(who.user).post(
                    f"/api/v1/groups/{gid}/dues/",
                    {},
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                    HTTP_X_PIN_TOKEN=tokens[who.user.pk],
                )

            cancelled, *dues = run_threads(3, act)
            assert not isinstance(cancelled, Exception), cancelled
            assert cancelled.status_code == 200, cancelled.json()
            for answer in dues:
                assert not isinstance(answer, Exception), answer
                _assert_refunded_or_refused(gid, [chair, payer, late], before, answer)
                outcomes.append(answer.status_code)
    assert ledger_discrepancies() == []
    print("dues answers:", sorted(outcomes))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_member_leaving_while_the_chair_starts_either_leaves_before_or_stays(forming_group):
    outcomes = []
    with at("2026-12-01T10:00"):
        for _trial in range(TRIALS):
            group, (chair, stayer, leaver) = forming_group(size=3, payout_order="join")
            gid = group["id"]
            for person in (chair, stayer, leaver):
                assert person.post(f"groups/{gid}/dues/", money=True).status_code == 200
            leaver_before = _balance(leaver.user, "NGN")

            def act(index: int, gid=gid, chair=chair, leaver=leaver):
                if index == 0:
                    return _client(chair.user).post(f"/api/v1/groups/{gid}/start/", {}, format="json")
                return _client(leaver.user).post(f"/api/v1/groups/{gid}/leave/", {}, format="json")

            started, left = run_threads(2, act)
            assert not isinstance(started, Exception), started
            assert not isinstance(left, Exception), left
            assert started.status_code == 200, started.json()
            membership = Membership.objects.get(group_id=gid, user=leaver.user)
            cycles = Cycle.objects.filter(group_id=gid)
            if left.status_code == 204:  # leave won: the schedule was built without them
                outcomes.append("left")
                assert membership.status == MembershipStatus.LEFT
                assert not cycles.filter(recipient=membership).exists(), "the leaver is still a payout recipient"
                assert not Contribution.objects.filter(membership=membership).exists(), "the leaver owes dues"
                remaining = Membership.objects.filter(group_id=gid, status=MembershipStatus.ACTIVE).count()
                assert cycles.count() == remaining == 2
                assert _balance(leaver.user, "NGN") == leaver_before + Decimal(group["security_deposit"])
            else:  # start won: leaving a running group is refused, and they stay in it
                outcomes.append("stayed")
                assert _is_error(left, 409, "group_state"), (left.status_code, left.json())
                assert membership.status == MembershipStatus.ACTIVE
                assert membership.dues_paid_at is not None
                assert cycles.count() == 3 and cycles.filter(recipient=membership).exists()
                assert _balance(leaver.user, "NGN") == leaver_before
    assert ledger_discrepancies() == []
    print("leave outcomes:", sorted(outcomes))


@pytest.mark.django_db
def test_cancelling_refunds_every_paid_member_exactly_once_even_when_called_twice(forming_group):
    # The clock stands still: a second payment by the same member at the same instant is refunded all the same
    # (a refund's key names the dues posting it undoes, not the time it was paid).
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=LAGOS), tick=False):
        group, people = forming_group(size=5)
        gid = group["id"]
        start = {p.user.pk: _balance(p.user, "NGN") for p in people}
        for person in people[:4]:  # the last member never pays
            assert person.post(f"groups/{gid}/dues/", money=True).status_code == 200
        # one member leaves (refunded), comes back and pays again: a second payment, refunded once more on cancel
        returner = people[3]
        assert returner.post(f"groups/{gid}/leave/").status_code == 204
        assert returner.post("groups/join/", {"invite_code": group["invite_code"]}).status_code == 201
        assert returner.post(f"groups/{gid}/dues/", money=True).status_code == 200

        first = people[0].post(f"groups/{gid}/cancel/", {"reason": "not enough members"})
        assert first.status_code == 200, first.json()
        second = people[0].post(f"groups/{gid}/cancel/", {"reason": "again"})
        assert _is_error(second, 409, "group_state"), second.json()
        with pytest.raises(GroupStateError):
            services.cancel_group(group=SavingsGroup.objects.get(pk=gid), reason="the housekeeping job, late")

    group_obj = SavingsGroup.objects.get(pk=gid)
    assert group_obj.status == GroupStatus.CANCELLED
    for index, person in enumerate(people):
        membership = Membership.objects.select_related("group").get(group_id=gid, user=person.user)
        refunds = LedgerTransaction.objects.filter(idempotency_key__startswith=f"group-dues-refund:{membership.pk}:")
        assert refunds.count() == (2 if person is returner else 1 if index < 4 else 0), person
        assert _balance(person.user, "NGN") == start[person.user.pk]
        assert membership.dues_paid_at is None and escrow_of(membership).balance == 0
    assert pot_of(group_obj).balance == 0
    assert ledger_discrepancies() == []
