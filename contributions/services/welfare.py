"""The welfare (social) fund: each member pays the group's fixed `welfare_contribution` once per cycle into the
group's welfare account, which only a passed resolution spends (contributions.services.resolutions)."""

from django.db import IntegrityError, transaction

from contributions.errors import WelfareAlreadyPaidError
from contributions.models import Cycle, WelfareContribution
from contributions.services.ledger import post_for_group, welfare_of
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership
from payments.models import TransactionKind
from payments.services import Leg, get_wallet


def pay_welfare(*, membership: Membership, cycle: Cycle) -> WelfareContribution:
    """From the member's wallet (the caller has checked the PIN); once per member and cycle."""
    group = membership.group
    if group.welfare_contribution <= 0:
        raise GroupStateError("This group has no welfare fund.")
    if group.status != GroupStatus.ACTIVE or not membership.is_active:
        raise GroupStateError("Welfare dues are paid by active members of a running group.")
    amount = group.welfare_contribution
    try:
        with transaction.atomic():
            posted = post_for_group(
                group=group,
                kind=TransactionKind.WELFARE,
                legs=[
                    Leg(get_wallet(user_id=membership.user_id, currency=group.currency), -amount),
                    Leg(welfare_of(group), amount),
                ],
                idempotency_key=f"welfare:{membership.pk}:{cycle.pk}",
                what=f"welfare fund, cycle {cycle.number}",
                member_id=membership.pk,
                cycle=cycle.number,
            )
            return WelfareContribution.objects.create(
                membership=membership, cycle=cycle, amount=amount, ledger_transaction=posted
            )
    except IntegrityError as exc:
        raise WelfareAlreadyPaidError(details={"cycle": cycle.number}) from exc
