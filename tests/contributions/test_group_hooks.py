"""groups announces what a change does to the money (`groups/hooks.py`); contributions handles it. These build
groups from factories (no HTTP) and check that each announcement reaches its handler, inside the same transaction."""

from decimal import Decimal

import pytest

from contributions.models import Contribution, Cycle
from contributions.services import pay_group_dues
from groups import hooks
from groups.errors import GroupStateError
from groups.models import GroupStatus, Role
from groups.services import cancel_group, leave_group, start_group
from tests.factories.groups import MembershipFactory, SavingsGroupFactory
from tests.factories.payments import WalletFactory

pytestmark = pytest.mark.django_db


def test_starting_a_group_builds_its_schedule_through_the_hook(ledger_is_clean):
    group = SavingsGroupFactory(chaired_by=True)
    MembershipFactory(group=group)
    MembershipFactory(group=group)
    chair = group.memberships.get(role=Role.CHAIR)

    start_group(actor=chair)

    assert Cycle.objects.filter(group=group).count() == 3
    assert Contribution.objects.filter(cycle__group=group).count() == 9
    assert set(Cycle.objects.filter(group=group).values_list("recipient__user", flat=True)) == set(
        group.memberships.values_list("user", flat=True)
    )


def test_cancelling_returns_every_paid_due_through_the_hook(ledger_is_clean):
    group = SavingsGroupFactory(chaired_by=True, registration_fee=Decimal("200.00"))
    member = MembershipFactory(group=group)
    wallet = WalletFactory(user=member.user, funded="500.00")
    pay_group_dues(membership=member)
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("300.00")

    cancel_group(group=group, reason="not enough members")

    wallet.refresh_from_db()
    member.refresh_from_db()
    assert wallet.balance == Decimal("500.00") and member.dues_paid_at is None
    group.refresh_from_db()
    assert group.status == GroupStatus.CANCELLED


def test_a_handler_that_refuses_rolls_the_change_back(monkeypatch):
    group = SavingsGroupFactory(chaired_by=True)
    member = MembershipFactory(group=group)

    def refuse(**kwargs):
        raise GroupStateError("refused by the money side")

    monkeypatch.setitem(hooks._handlers._items, hooks.DUES_RETURNED, refuse)
    with pytest.raises(GroupStateError):
        leave_group(membership=member)
    member.refresh_from_db()
    assert member.status == "active"
