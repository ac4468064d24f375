"""Reads about groups. Every group read goes through `membership_of`, so a non-member learns nothing (404)."""

import uuid
from decimal import Decimal

from django.db.models import QuerySet

from groups.errors import GroupNotFoundError
from groups.models import GroupMessage, Membership, MembershipStatus, SavingsGroup, SwapRequest
from payments.models import AccountKind, LedgerAccount


def groups_of(*, user) -> QuerySet[SavingsGroup]:
    return (
        SavingsGroup.objects.filter(memberships__user=user)
        .exclude(memberships__user=user, memberships__status=MembershipStatus.LEFT)
        .distinct()
        .order_by("-created_at")
    )


def membership_of(*, user, group_id) -> Membership:
    """The caller's membership of the group, or `group_not_found` (also for groups that exist but are not theirs)."""
    try:
        uuid.UUID(str(group_id))
    except ValueError as exc:
        raise GroupNotFoundError() from exc
    membership = (
        Membership.objects.select_related("group", "user")
        .filter(group_id=group_id, user=user)
        .exclude(status=MembershipStatus.LEFT)
        .first()
    )
    if membership is None:
        raise GroupNotFoundError()
    return membership


def pot_balance_of(*, group: SavingsGroup) -> Decimal:
    """Read without creating the account (a group nobody has paid into yet has none)."""
    pot = LedgerAccount.objects.filter(
        kind=AccountKind.GROUP_POT, owner_type="group", owner_id=str(group.pk), currency=group.currency
    ).first()
    return pot.balance if pot else Decimal("0.00")


def members_of(*, group: SavingsGroup) -> QuerySet[Membership]:
    return group.memberships.exclude(status=MembershipStatus.LEFT).select_related("user").order_by("joined_at", "pk")


def member_in(*, group: SavingsGroup, membership_id) -> Membership:
    membership = members_of(group=group).filter(pk=membership_id).first()
    if membership is None:
        raise GroupNotFoundError("No such member in this group.")
    return membership


def swaps_of(*, group: SavingsGroup) -> QuerySet[SwapRequest]:
    return group.swap_requests.select_related("requested_by", "counterparty")


def swap_in(*, group: SavingsGroup, swap_id) -> SwapRequest:
    swap = swaps_of(group=group).filter(pk=swap_id).first()
    if swap is None:
        raise GroupNotFoundError("No such swap request in this group.")
    return swap


def messages_of(*, group: SavingsGroup) -> QuerySet[GroupMessage]:
    return group.messages.all()


def rotation_of(*, group: SavingsGroup) -> dict:
    """The payout order: the schedule once started; before that the planned order (none yet for a random draw,
    whose seed stays secret until start)."""
    from contributions.models import Cycle
    from groups import rotation
    from groups.models import GroupStatus, PayoutOrder
    from groups.services import planned_order

    order = []
    if group.status == GroupStatus.FORMING:
        members = list(group.memberships.filter(status=MembershipStatus.ACTIVE))
        if group.payout_order != PayoutOrder.RANDOM and members:
            for position, (membership, slot) in enumerate(planned_order(group, members), start=1):
                order.append(
                    {"position": position, "cycle": None, "user": membership.user_id, "slot": slot, "due_date": None}
                )
    else:
        for cycle in Cycle.objects.filter(group=group).select_related("recipient").order_by("number"):
            order.append(
                {
                    "position": cycle.number,
                    "cycle": cycle.number,
                    "user": cycle.recipient.user_id,
                    "slot": cycle.recipient_slot,
                    "due_date": cycle.due_date,
                }
            )
    for entry in order:
        entry["token"] = f"{entry['user']}:{entry['slot']}"
    revealed = group.payout_order == PayoutOrder.RANDOM and group.status != GroupStatus.FORMING
    return {
        "method": group.payout_order,
        "commitment": group.seed_commitment or None,
        "seed": group.seed if revealed else None,
        "algorithm": rotation.__doc__.strip() if group.payout_order == PayoutOrder.RANDOM else "",
        "order": order,
    }


def meetings_of(*, group: SavingsGroup):
    return group.meetings.prefetch_related("attendance__membership")


def meeting_in(*, group: SavingsGroup, meeting_id):
    meeting = meetings_of(group=group).filter(pk=meeting_id).first()
    if meeting is None:
        raise GroupNotFoundError("No such meeting in this group.")
    return meeting


def penalties_visible_to(*, membership: Membership):
    from contributions.models import Penalty

    penalties = Penalty.objects.filter(membership__group_id=membership.group_id).select_related("membership")
    if not membership.is_official:
        penalties = penalties.filter(membership=membership)
    return penalties.order_by("-created_at", "-pk")


def loans_of(*, group: SavingsGroup):
    from groups.models import Loan

    return Loan.objects.filter(group=group).select_related("borrower", "group")


def loan_in(*, group: SavingsGroup, loan_id):
    loan = (
        loans_of(group=group)
        .prefetch_related("instalments", "guarantees__guarantor", "decisions")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise GroupNotFoundError("No such loan in this group.")
    return loan


def guarantee_in(*, group: SavingsGroup, guarantee_id):
    from groups.models import LoanGuarantee

    guarantee = LoanGuarantee.objects.filter(pk=guarantee_id, loan__group=group).select_related("loan").first()
    if guarantee is None:
        raise GroupNotFoundError("No such guarantee request in this group.")
    return guarantee


def recorded_payments_visible_to(*, membership: Membership):
    from groups.models import RecordedPayment

    payments = RecordedPayment.objects.filter(group_id=membership.group_id).select_related("member")
    if not membership.is_official:
        payments = payments.filter(member=membership)
    return payments


def recorded_payment_in(*, group: SavingsGroup, payment_id):
    from groups.models import RecordedPayment

    payment = RecordedPayment.objects.filter(group=group, pk=payment_id).first()
    if payment is None:
        raise GroupNotFoundError("No such recorded payment in this group.")
    return payment
