"""The schedule of a running group: one cycle per payout turn, with each member's contributions and due dates."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from contributions.models import (
    Contribution,
    Cycle,
)
from groups.models import (
    Frequency,
    Membership,
    SavingsGroup,
)


def due_date_for(group: SavingsGroup, number: int) -> date:
    """Cycle `number`'s due date, counted from the start date (so a monthly group started on the 31st falls due
    on the last day of shorter months and on the 31st again after them)."""
    steps = number - 1
    if group.frequency == Frequency.MONTHLY:
        return group.start_date + relativedelta(months=steps)
    days = 7 if group.frequency == Frequency.WEEKLY else 14
    return group.start_date + timedelta(days=days * steps)


def payout_date_for(group: SavingsGroup, cycle: Cycle) -> date:
    """The last day of grace; unpaid contributions are late (and penalised) from the next day."""
    return cycle.due_date + timedelta(days=group.grace_days)


def create_schedule(*, group: SavingsGroup, order: list[tuple[Membership, int]]) -> list[Cycle]:
    """One cycle per payout turn, and in each cycle one pending contribution per member slot."""
    cycles = Cycle.objects.bulk_create(
        Cycle(
            group=group,
            number=number,
            due_date=due_date_for(group, number),
            recipient=membership,
            recipient_slot=slot,
        )
        for number, (membership, slot) in enumerate(order, start=1)
    )
    members = sorted({membership for membership, _slot in order}, key=lambda m: m.pk)
    Contribution.objects.bulk_create(
        Contribution(
            cycle=cycle,
            membership=membership,
            slot=slot,
            amount=group.contribution_amount,
            due_date=cycle.due_date,
        )
        for cycle in cycles
        for membership in members
        for slot in range(1, membership.slots + 1)
    )
    return cycles
