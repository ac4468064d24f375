"""The schedule of a running group: one cycle per payout turn, with each member's contributions and due dates; a
savings group's cycles (no recipient) run to the end of its current period, and the next period's are added at
its share-out."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from contributions.models import (
    Contribution,
    Cycle,
)
from contributions.selectors.share_outs import period_end
from groups.models import (
    Frequency,
    Membership,
    MembershipStatus,
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
    if group.is_savings:
        return extend_savings_schedule(group=group, through=period_end(group, 1))
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


def extend_savings_schedule(*, group: SavingsGroup, through: date) -> list[Cycle]:
    """A savings group's cycles due up to `through` that do not exist yet, each with one contribution per active
    member slot (the caller holds the group row lock)."""
    last = group.cycles.order_by("-number").values_list("number", flat=True).first() or 0
    numbers = []
    number = last + 1
    while due_date_for(group, number) <= through:
        numbers.append(number)
        number += 1
    if not numbers:
        return []
    cycles = Cycle.objects.bulk_create(
        Cycle(group=group, number=n, due_date=due_date_for(group, n), recipient=None, recipient_slot=1) for n in numbers
    )
    members = list(group.memberships.filter(status=MembershipStatus.ACTIVE).order_by("pk"))
    Contribution.objects.bulk_create(
        Contribution(cycle=cycle, membership=m, slot=slot, amount=group.contribution_amount, due_date=cycle.due_date)
        for cycle in cycles
        for m in members
        for slot in range(1, m.slots + 1)
    )
    return cycles
