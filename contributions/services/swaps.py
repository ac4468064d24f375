"""Swapping payout turns: a member offers their turn, the holder of the other accepts or declines, before the
earlier of the two is due."""

from django.db import transaction
from django.utils import timezone

from contributions.errors import SwapNotAllowedError
from contributions.models import Cycle, CycleStatus, SwapRequest, SwapStatus
from core.clock import local_today
from groups.models import Membership


def request_swap(*, membership: Membership, from_cycle: int, to_cycle: int) -> SwapRequest:
    if not membership.is_active:
        raise SwapNotAllowedError("Only an active member can swap turns.")
    if membership.group.is_savings:
        raise SwapNotAllowedError("A savings group has no payout turns to swap.")
    cycles = {
        c.number: c
        for c in Cycle.objects.select_related("group", "recipient").filter(
            group_id=membership.group_id, number__in=[from_cycle, to_cycle]
        )
    }
    if len(cycles) != 2 or from_cycle == to_cycle:
        raise SwapNotAllowedError("Name two different cycles of this group.")
    if cycles[from_cycle].recipient_id != membership.pk:
        raise SwapNotAllowedError("You can only offer a turn that is yours.")
    counterparty = cycles[to_cycle].recipient
    if counterparty is None:
        raise SwapNotAllowedError("That cycle has no payout turn.")
    if counterparty.pk == membership.pk:
        raise SwapNotAllowedError("Both turns are already yours.")
    _check_swap_window(cycles[from_cycle], cycles[to_cycle])
    return SwapRequest.objects.create(
        group_id=membership.group_id,
        requested_by=membership,
        counterparty=counterparty,
        from_cycle=from_cycle,
        to_cycle=to_cycle,
    )


def _check_swap_window(first, second) -> None:
    earlier = min(first, second, key=lambda c: c.number)
    if first.status != CycleStatus.OPEN or second.status != CycleStatus.OPEN:
        raise SwapNotAllowedError("A turn already paid out cannot be swapped.")
    if local_today(earlier.group.tz) >= earlier.due_date:
        raise SwapNotAllowedError("Swaps must be agreed before the earlier of the two turns is due.")


def answer_swap(*, membership: Membership, swap: SwapRequest, accept: bool) -> SwapRequest:
    """The counterparty accepts (the two cycles exchange recipients) or declines; the requester may cancel."""
    with transaction.atomic():
        swap = SwapRequest.objects.select_for_update(no_key=True, of=("self",)).get(pk=swap.pk)
        if swap.status != SwapStatus.PENDING:
            raise SwapNotAllowedError("This swap request has already been answered.")
        if not accept and membership.pk == swap.requested_by_id:
            swap.status = SwapStatus.CANCELLED
        elif membership.pk != swap.counterparty_id:
            raise SwapNotAllowedError("Only the member asked can answer this swap.")
        elif not accept:
            swap.status = SwapStatus.DECLINED
        else:
            cycles = {
                c.number: c
                for c in Cycle.objects.select_for_update(no_key=True, of=("self",))
                .select_related("group")
                .filter(group_id=swap.group_id, number__in=[swap.from_cycle, swap.to_cycle])
                .order_by("pk")
            }
            first, second = cycles[swap.from_cycle], cycles[swap.to_cycle]
            if first.recipient_id != swap.requested_by_id or second.recipient_id != swap.counterparty_id:
                raise SwapNotAllowedError("These turns have changed hands since the request.")
            _check_swap_window(first, second)
            first.recipient_id, second.recipient_id = second.recipient_id, first.recipient_id
            first.recipient_slot, second.recipient_slot = second.recipient_slot, first.recipient_slot
            first.save(update_fields=["recipient", "recipient_slot"])
            second.save(update_fields=["recipient", "recipient_slot"])
            swap.status = SwapStatus.ACCEPTED
        swap.decided_at = timezone.now()
        swap.save(update_fields=["status", "decided_at"])
        return swap
