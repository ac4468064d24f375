"""Savings groups: top-ups, and sharing out the pot (at the end of each period, or by a passed resolution).

A share-out is one posting: the whole pot out, each saver's part (less Pamoja's service fee) into their wallet. It
runs with the group row locked and then the pot and every member's wallet locked in id order (the order every
posting locks accounts in), so a contribution paid at the same moment is either in this share-out or the next,
never in neither or both. The share-out's number is unique per group and its posting is keyed by it: the period
job run twice, on two workers, or racing a resolution shares out once.
"""

import logging
import uuid
from datetime import date
from decimal import Decimal

from django.db import transaction

from contributions.errors import ResolutionStateError, ShareOutBlockedError
from contributions.models import (
    Contribution,
    Resolution,
    SavingsTopUp,
    ShareOut,
    ShareOutLine,
)
from contributions.selectors.share_outs import (
    ShareOutPlan,
    current_period_end,
    plan_share_out,
)
from contributions.services.ledger import post_for_group, pot_of
from contributions.services.payout_destinations import forward_payout
from contributions.services.schedule import extend_savings_schedule
from core.clock import local_today
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, SavingsGroup
from groups.notices import group_context
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, TransactionKind
from payments.services import Leg, get_house_account, get_wallet, lock_accounts

logger = logging.getLogger("pamoja.contributions")


def top_up_savings(*, membership: Membership, amount: Decimal) -> SavingsTopUp:
    """Save more than the contribution (savings groups that take top-ups); from the wallet, PIN checked by the
    caller. It counts in the member's savings, and earns share-months, from today."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group")
            .get(pk=membership.pk)
        )
        group = membership.group
        if not (group.is_savings and group.allow_top_ups):
            raise GroupStateError("This group takes its fixed contribution only.")
        if group.status != GroupStatus.ACTIVE or not membership.is_active:
            raise GroupStateError("Savings are paid in by active members of a running group.")
        posted = post_for_group(
            group=group,
            kind=TransactionKind.CONTRIBUTION,
            legs=[
                Leg(get_wallet(user_id=membership.user_id, currency=group.currency), -amount),
                Leg(pot_of(group), amount),
            ],
            idempotency_key=f"top-up:{membership.pk}:{uuid.uuid4()}",
            what="savings top-up",
            member_id=membership.pk,
            top_up=str(amount),
        )
        return SavingsTopUp.objects.create(membership=membership, amount=amount, ledger_transaction=posted)


def share_out(*, group: SavingsGroup, as_of: date, resolution: Resolution | None = None) -> ShareOut:
    """Share the pot out now (the caller holds the group row lock and has checked who may ask)."""
    if not group.is_savings:
        raise GroupStateError("Only a savings group shares out its pot.")
    if group.status != GroupStatus.ACTIVE:
        raise GroupStateError("Only a running group shares out its pot.")
    pot = pot_of(group)
    members = list(group.memberships.order_by("pk"))
    wallets = {m.pk: get_wallet(user_id=m.user_id, currency=group.currency) for m in members}
    locked = lock_accounts([pot, *wallets.values()])
    plan = plan_share_out(group=group, as_of=as_of, pot=locked[pot.pk].balance)
    if plan.blocked_by or not plan.lines:
        raise ShareOutBlockedError(details=plan.blocked_by or {"pot": "The pot is empty."})
    posted = _post(plan=plan, pot=pot, wallets=wallets)
    made = ShareOut.objects.create(
        group=group,
        number=plan.number,
        as_of=as_of,
        pot=plan.pot,
        savings=plan.savings,
        earnings=plan.earnings,
        fee=plan.fee,
        resolution=resolution,
        ledger_transaction=posted,
    )
    ShareOutLine.objects.bulk_create(
        ShareOutLine(
            share_out=made,
            membership=line.membership,
            savings=line.savings,
            share_months=line.share_months,
            earnings=line.earnings,
            gross=line.gross,
            fee=line.fee,
            amount=line.amount,
        )
        for line in plan.lines
    )
    items = [item for line in plan.lines for item in line.items]
    Contribution.objects.filter(pk__in=[i.id for i in items if i.kind == "contribution"]).update(share_out=made)
    SavingsTopUp.objects.filter(pk__in=[i.id for i in items if i.kind == "top_up"]).update(share_out=made)
    extend_savings_schedule(group=group, through=current_period_end(group))
    for line in plan.lines:
        if line.amount > 0:
            forward_payout(
                group=group, membership=line.membership, amount=line.amount, reason=f"share-out {made.number}"
            )
        notify(
            user=line.membership.user,
            event="share_out_paid",
            context={
                **group_context(group),
                "amount": money_text(line.amount, group.currency),
                "savings": money_text(line.savings, group.currency),
                "earnings": money_text(line.earnings, group.currency),
                "number": made.number,
            },
            key=f"share-out:{made.pk}",
        )
    return made


def _post(*, plan: ShareOutPlan, pot, wallets):
    group = plan.group
    legs = [Leg(pot, -plan.pot)]
    legs += [Leg(wallets[line.membership.pk], line.amount) for line in plan.lines if line.amount]
    if plan.fee:
        legs.append(Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=group.currency), plan.fee))
    return post_for_group(
        group=group,
        kind=TransactionKind.PAYOUT,
        legs=legs,
        idempotency_key=f"share-out:{group.pk}:{plan.number}",
        what=f"share-out {plan.number}",
        share_out=plan.number,
        savings=str(plan.savings),
        earnings=str(plan.earnings),
    )


def share_out_if_due(*, group: SavingsGroup, today: date | None = None) -> ShareOut | None:
    """The period job: share out on (or after) the period's scheduled day. A pot that cannot be shared out yet
    (loans still out) waits for the next run; the officials see why in the preview."""
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group.pk)
        if not group.is_savings or group.status != GroupStatus.ACTIVE:
            return None
        due = current_period_end(group)
        if (today or local_today(group.tz)) < due:
            return None
        try:
            with transaction.atomic():
                return share_out(group=group, as_of=due)
        except ShareOutBlockedError as exc:
            logger.warning("group %s share-out waits: %s", group.pk, exc.details)
            return None


def share_out_by_resolution(*, resolution: Resolution) -> ShareOut:
    """A passed share-out resolution (the caller holds its row lock): share out today, unless the pot was shared
    out since it was proposed (the members voted on a pot that is gone)."""
    group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=resolution.group_id)
    if group.share_outs.filter(created_at__gt=resolution.created_at).exists():
        raise ResolutionStateError("The pot has been shared out since this resolution was proposed.")
    return share_out(group=group, as_of=local_today(group.tz), resolution=resolution)
