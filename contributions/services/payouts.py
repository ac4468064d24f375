"""Payouts on the payout date, netting arrears from deposits, and completing the group after the last one."""

import logging
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from contributions.models import (
    UNPAID_STATUSES,
    Contribution,
    ContributionStatus,
    Cycle,
    CycleStatus,
    Payout,
    Penalty,
    PenaltyStatus,
    SettledBy,
)
from contributions.services.ledger import credit_of, escrow_of, post_for_group, pot_of
from contributions.services.payout_destinations import forward_payout
from contributions.services.schedule import due_date_for, payout_date_for
from contributions.services.settlement import tell_contribution_paid
from core.clock import local_today
from core.money import allocate, round_money
from groups.models import (
    DefaultPolicy,
    GroupStatus,
    Membership,
    MembershipStatus,
    SavingsGroup,
)
from groups.notices import group_context
from groups.services import mark_completed
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, TransactionKind
from payments.services import Leg, get_house_account, get_wallet

logger = logging.getLogger("pamoja.contributions")


def run_payouts(*, group: SavingsGroup, today: date | None = None) -> list[Payout]:
    """Pay every cycle that is ready, in order; complete the group after the last. Safe to run any number of
    times and on several workers at once: each cycle row is locked, and its payout is unique."""
    if group.is_savings:  # its pot is shared out at the end of the period (share_outs), never paid by cycle
        return []
    today = today or local_today(group.tz)
    paid: list[Payout] = []
    while True:
        with transaction.atomic():
            group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group.pk)
            if group.status != GroupStatus.ACTIVE:
                return paid
            cycle = (
                Cycle.objects.select_for_update(no_key=True, of=("self",))
                .filter(group=group, status=CycleStatus.OPEN)
                .order_by("number")
                .first()
            )
            if cycle is None:
                complete_group(group=group)
                return paid
            payout = _pay_out_cycle(group=group, cycle=cycle, today=today)
            if payout is None:
                return paid
            paid.append(payout)
            notify(
                user=payout.recipient.user,
                event="payout_paid",
                context={
                    **group_context(group),
                    "amount": money_text(payout.amount, group.currency),
                    "fee": money_text(payout.fee, group.currency),
                    "deductions": money_text(payout.deductions, group.currency),
                },
                key=f"payout:{payout.pk}",
            )


def _cover_from_deposits(*, group: SavingsGroup, unpaid: list[Contribution], members: dict[int, Membership]) -> None:
    """The defaulters' deposits pay their missing contributions into the pot, where a deposit is large enough;
    the contributions stay owed (paying them refills the deposit)."""
    pot = pot_of(group)
    for contribution in unpaid:
        escrow = escrow_of(members[contribution.membership_id])
        escrow.refresh_from_db(fields=["balance"])
        if escrow.balance < contribution.amount:
            continue
        posted = post_for_group(
            group=group,
            kind=TransactionKind.CONTRIBUTION,
            legs=[Leg(escrow, -contribution.amount), Leg(pot, contribution.amount)],
            idempotency_key=f"deposit-covers:{contribution.pk}",
            what=f"deposit covers cycle {contribution.cycle.number}",
            member_id=contribution.membership_id,
            contribution=contribution.pk,
        )
        contribution.status = ContributionStatus.COVERED
        contribution.settled_by = SettledBy.DEPOSIT
        contribution.covered_at = timezone.now()
        contribution.ledger_transaction = posted
        contribution.save(update_fields=["status", "settled_by", "covered_at", "ledger_transaction"])


def _paid_in_cash_only(contribution: Contribution) -> bool:
    return (
        contribution.status == ContributionStatus.PAID
        and contribution.settled_by == SettledBy.RECORDED
        and contribution.covered_at is None
    )


def _pay_out_cycle(*, group: SavingsGroup, cycle: Cycle, today: date) -> Payout | None:
    """Pay `cycle` if it is ready: every contribution in (the recipient's own may be netted), or its payout date
    reached and the default policy lets deposits cover the rest. Runs with the cycle locked.

    A cycle collects from the day after the previous cycle's due date; it never pays out before that, however
    much was paid ahead, so money paid in advance waits for its own turn."""
    if cycle.number > 1 and today <= due_date_for(group, cycle.number - 1):
        return None
    assert cycle.recipient_id is not None  # a rotating group's cycle
    # The nightly common case, answered before any member row is locked (a payment locks its member first).
    unpaid = cycle.contributions.filter(status__in=UNPAID_STATUSES)
    if today < payout_date_for(group, cycle) and unpaid.exists():
        return None
    if (
        group.default_policy != DefaultPolicy.DEPOSIT_COVERS
        and unpaid.exclude(membership_id=cycle.recipient_id).exists()
    ):
        return None
    members = {
        m.pk: m
        for m in Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user", "group")
        .filter(group=group)
        .order_by("pk")
    }
    recipient = members[cycle.recipient_id]
    contributions = list(cycle.contributions.select_related("cycle").order_by("pk"))
    others_unpaid = [c for c in contributions if c.status in UNPAID_STATUSES and c.membership_id != recipient.pk]
    if others_unpaid:
        if today < payout_date_for(group, cycle) or group.default_policy != DefaultPolicy.DEPOSIT_COVERS:
            return None
        _cover_from_deposits(group=group, unpaid=others_unpaid, members=members)
        if any(c.status in UNPAID_STATUSES for c in others_unpaid):
            logger.info("cycle %s waits: a defaulter's deposit cannot cover the contribution", cycle.pk)
            return None
    if today < payout_date_for(group, cycle) and any(
        c.status in UNPAID_STATUSES for c in contributions if c.membership_id == recipient.pk
    ):
        return None  # the recipient may still pay their own share before the payout date

    gross = sum((c.amount for c in contributions), Decimal("0"))
    # Shares paid in cash to an official sit in the group's cash book, not the pot: the officials hand them to the
    # recipient as a recorded cash payout. Only e-money leaves the pot, and Pamoja's fee is on e-money alone.
    # (A share the member's deposit covered is in the pot already, even if the member later paid it in cash: that
    # cash stands in the cash book in place of their deposit.)
    cash_part = sum((c.amount for c in contributions if _paid_in_cash_only(c)), Decimal("0"))
    e_gross = gross - cash_part
    details = []
    netted: list[Contribution] = []
    netted_penalties: list[Penalty] = []
    refilled: list[Contribution] = []
    # the recipient's own unpaid shares of this cycle first: without them the pot is short
    own_unpaid = [c for c in contributions if c.membership_id == recipient.pk and c.status in UNPAID_STATUSES]
    netted_total = sum((c.amount for c in own_unpaid), Decimal("0"))
    fee = min(
        round_money(e_gross * group.service_fee_percent / 100, group.currency),
        max(e_gross - netted_total, Decimal("0")),
    )
    room = e_gross - fee
    for c in own_unpaid:
        netted.append(c)
        room -= c.amount
        details.append({"kind": "contribution", "cycle": c.cycle.number, "amount": str(c.amount)})
    for penalty in recipient.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"):
        if penalty.amount > room:
            break
        netted_penalties.append(penalty)
        room -= penalty.amount
        details.append({"kind": "penalty", "penalty": penalty.pk, "amount": str(penalty.amount)})
    for c in (
        recipient.contributions.filter(status=ContributionStatus.COVERED)
        .select_related("cycle")
        .order_by("due_date", "cycle__number", "slot")
    ):
        if c.amount > room:
            break
        refilled.append(c)
        room -= c.amount
        details.append({"kind": "deposit_refill", "cycle": c.cycle.number, "amount": str(c.amount)})
    if room < 0:
        logger.warning("cycle %s waits: the recipient's unpaid shares exceed the payout", cycle.pk)
        return None

    net = room
    penalty_total = sum((p.amount for p in netted_penalties), Decimal("0"))
    refill_total = sum((c.amount for c in refilled), Decimal("0"))
    legs = []
    # the recipient's penalties netted from the payout belong to the group: they stay in the pot
    if e_gross - netted_total - penalty_total:
        legs.append(Leg(pot_of(group), -(e_gross - netted_total - penalty_total)))
    if net:
        legs.append(Leg(get_wallet(user_id=recipient.user_id, currency=group.currency), net))
    if fee:
        legs.append(Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=group.currency), fee))
    if refill_total:
        legs.append(Leg(escrow_of(recipient), refill_total))
    if not legs and netted:
        logger.info("cycle %s waits: the recipient's own share cannot be netted against cash", cycle.pk)
        return None
    posted = None
    if legs:  # nothing moves in e-money when every share of the cycle was paid in cash
        posted = post_for_group(
            group=group,
            kind=TransactionKind.PAYOUT,
            legs=legs,
            idempotency_key=f"payout:{cycle.pk}",
            what=f"payout for cycle {cycle.number}",
            member_id=recipient.pk,
            cycle=cycle.number,
            deductions=details,
            cash_amount=str(cash_part),
            **({"penalty_amount": str(penalty_total)} if penalty_total else {}),
        )
    now = timezone.now()
    Contribution.objects.filter(pk__in=[c.pk for c in netted + refilled]).update(
        status=ContributionStatus.PAID, settled_by=SettledBy.PAYOUT, paid_at=now, ledger_transaction=posted
    )
    for contribution in netted + refilled:
        tell_contribution_paid(group=group, membership=recipient, contribution=contribution)
    Penalty.objects.filter(pk__in=[p.pk for p in netted_penalties]).update(
        status=PenaltyStatus.PAID, settled_by=SettledBy.PAYOUT, paid_at=now, ledger_transaction=posted
    )
    cycle.status = CycleStatus.PAID_OUT
    cycle.save(update_fields=["status"])
    if net:
        forward_payout(group=group, membership=recipient, amount=net, reason=f"payout for cycle {cycle.number}")
    return Payout.objects.create(
        cycle=cycle,
        recipient=recipient,
        gross_amount=gross,
        fee=fee,
        deductions=e_gross - fee - net,
        amount=net,
        cash_amount=cash_part,
        details=details,
        ledger_transaction=posted,
    )


def complete_group(*, group: SavingsGroup) -> SavingsGroup:
    """After the last payout: each member's deposit comes back less penalties still owed (which go to income),
    and what is left in the pot (registration fees) is shared equally among the members. Runs with the group
    locked."""
    members = list(
        Membership.objects.select_for_update(no_key=True, of=("self",))
        .select_related("group", "user")
        .filter(group=group)
        .order_by("pk")
    )
    pot = pot_of(group)
    for membership in members:
        credit = credit_of(membership)
        credit.refresh_from_db(fields=["balance"])
        if credit.balance > 0:  # part-payments that never added up to a whole due go home
            post_for_group(
                group=group,
                kind=TransactionKind.CONTRIBUTION,
                legs=[
                    Leg(credit, -credit.balance),
                    Leg(get_wallet(user_id=membership.user_id, currency=group.currency), credit.balance),
                ],
                idempotency_key=f"credit-return:{membership.pk}",
                what="unspent part-payments returned",
                member_id=membership.pk,
            )
    for membership in members:
        escrow = escrow_of(membership)
        escrow.refresh_from_db(fields=["balance"])
        if escrow.balance <= 0:
            continue
        room = escrow.balance
        owed = []
        for penalty in membership.penalties.filter(status=PenaltyStatus.OWED).order_by("created_at", "id"):
            if penalty.amount > room:
                break
            owed.append(penalty)
            room -= penalty.amount
        legs = [Leg(escrow, -escrow.balance)]
        if room:
            legs.append(Leg(get_wallet(user_id=membership.user_id, currency=group.currency), room))
        if owed:  # into the pot, which is shared out below
            legs.append(Leg(pot, escrow.balance - room))
        posted = post_for_group(
            group=group,
            kind=TransactionKind.DEPOSIT_HOLD,
            legs=legs,
            idempotency_key=f"deposit-return:{membership.pk}",
            what="security deposit returned",
            member_id=membership.pk,
            penalties=[p.pk for p in owed],
            **({"penalty_amount": str(escrow.balance - room)} if owed else {}),
        )
        Penalty.objects.filter(pk__in=[p.pk for p in owed]).update(
            status=PenaltyStatus.PAID, settled_by=SettledBy.DEPOSIT, paid_at=timezone.now(), ledger_transaction=posted
        )
    pot.refresh_from_db(fields=["balance"])
    sharing = [m for m in members if m.status != MembershipStatus.LEFT]
    if pot.balance > 0 and sharing:
        shares = allocate(pot.balance, [1] * len(sharing), group.currency)
        legs = [Leg(pot, -pot.balance)] + [
            Leg(get_wallet(user_id=m.user_id, currency=group.currency), share)
            for m, share in zip(sharing, shares, strict=True)
            if share
        ]
        post_for_group(
            group=group,
            kind=TransactionKind.PAYOUT,
            legs=legs,
            idempotency_key=f"pot-share-out:{group.pk}",
            what="what was left in the pot, shared out",
        )
    for membership in sharing:
        notify(user=membership.user, event="group_completed", context=group_context(group), key=f"completed:{group.pk}")
    return mark_completed(group=group)
