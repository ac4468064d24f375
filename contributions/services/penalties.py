"""Penalties and fines: late contributions assessed nightly (once, or again as the group's policy says), a fine an
official levies, and an absentee's fine for a meeting (once per meeting, waived if the record is corrected)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from contributions.models import (
    OWED_STATUSES,
    Contribution,
    ContributionStatus,
    Penalty,
    PenaltyCause,
    PenaltyStatus,
)
from core.clock import local_today
from core.money import round_money
from groups.errors import GroupStateError
from groups.models import (
    AttendanceStatus,
    Meeting,
    Membership,
    MembershipStatus,
    PenaltyKind,
    PenaltyRecurrence,
    SavingsGroup,
)
from groups.notices import group_context
from groups.services import require_official
from notifications.rendering import money_text
from notifications.services import notify


def penalty_amount(group: SavingsGroup, contribution: Contribution) -> Decimal:
    if group.penalty_kind == PenaltyKind.FLAT:
        return group.penalty_amount
    if group.penalty_kind == PenaltyKind.PERCENT:
        return round_money(contribution.amount * group.penalty_amount / 100, group.currency)
    return Decimal("0")


def assess_penalties(*, group: SavingsGroup, today: date | None = None) -> int:
    """Mark contributions late after due date + grace and post the penalties their policy asks for, up to today.
    A contribution the member's deposit covered is still the member's debt, and is penalised like an unpaid one.

    Each penalty has a unique (contribution, period) row, so running this any number of times (or on two workers
    at once) adds each one exactly once; a missed night is caught up on the next run. Returns how many were added.
    """
    today = today or local_today(group.tz)
    with transaction.atomic():
        return _assess_penalties(group=group, today=today)


def _assess_penalties(*, group: SavingsGroup, today: date) -> int:
    # Locked, so a payment that commits first is seen as paid here, and one that comes after waits for us.
    last_on_time = today - timedelta(days=group.grace_days + 1)
    overdue = list(
        Contribution.objects.select_for_update(no_key=True, of=("self",))
        .filter(cycle__group=group, status__in=OWED_STATUSES, due_date__lte=last_on_time)
        .select_related("membership__user", "cycle")
        .order_by("pk")
    )
    if not overdue:
        return 0
    Contribution.objects.filter(pk__in=[c.pk for c in overdue], status=ContributionStatus.PENDING).update(
        status=ContributionStatus.LATE
    )
    for contribution in overdue:
        if contribution.status == ContributionStatus.PENDING:
            _tell_late(group=group, contribution=contribution)
    unit = penalty_amount(group, overdue[0]) if group.penalty_kind == PenaltyKind.FLAT else None
    if group.penalty_kind == PenaltyKind.NONE or (unit is not None and unit <= 0):
        return 0
    existing: dict[int, Decimal] = {
        row["contribution"]: row["total"]
        for row in Penalty.objects.filter(contribution__in=overdue).values("contribution").annotate(total=Sum("amount"))
    }
    existing_periods = set(Penalty.objects.filter(contribution__in=overdue).values_list("contribution_id", "period"))
    new = []
    for contribution in overdue:
        per_period = penalty_amount(group, contribution)
        if per_period <= 0:
            continue
        days_late = (today - contribution.due_date).days - group.grace_days
        periods = 1 if group.penalty_recurrence == PenaltyRecurrence.ONCE else days_late
        so_far = existing.get(contribution.pk, Decimal("0"))
        for period in range(1, periods + 1):
            if (contribution.pk, period) in existing_periods:
                continue
            amount = per_period
            if group.penalty_cap is not None:
                amount = min(amount, group.penalty_cap - so_far)
                if amount <= 0:
                    break
            so_far += amount
            new.append(
                Penalty(
                    contribution=contribution, membership_id=contribution.membership_id, period=period, amount=amount
                )
            )
    created = Penalty.objects.bulk_create(new, ignore_conflicts=True)
    _tell_penalised(group=group, overdue=overdue, added=new)
    return len(created)


def _tell_late(*, group: SavingsGroup, contribution: Contribution) -> None:
    notify(
        user=contribution.membership.user,
        event="contribution_late",
        context={
            **group_context(group),
            "amount": money_text(contribution.amount, group.currency),
            "due_date": contribution.due_date.isoformat(),
            "cycle": str(contribution.cycle.number),
        },
        key=f"late:{contribution.pk}",
    )


def _tell_penalised(*, group: SavingsGroup, overdue: list[Contribution], added: list[Penalty]) -> None:
    """One message per contribution for what this run added, however many periods a missed night left to catch
    up. The bulk insert sets no ids, so the key is the contribution and the last period added."""
    for contribution in overdue:
        penalties = [p for p in added if p.contribution_id == contribution.pk]
        if not penalties:
            continue
        notify(
            user=contribution.membership.user,
            event="penalty_charged",
            context={
                **group_context(group),
                "amount": money_text(sum((p.amount for p in penalties), Decimal("0")), group.currency),
                "reason": str(PenaltyCause.LATE_CONTRIBUTION.label),
            },
            key=f"penalty:{contribution.pk}:{penalties[-1].period}",
        )


# --- fines ---------------------------------------------------------------------------------------------------


def fine_attendance(*, meeting: Meeting, membership: Membership, status: str) -> None:
    """Attendance was recorded (groups announces it): an absentee owes the group's absence fine once per meeting;
    a record corrected to present or apology waives it while it is unpaid."""
    if status == AttendanceStatus.ABSENT:
        _fine_absence(meeting=meeting, membership=membership)
    else:
        Penalty.objects.filter(
            meeting=meeting, membership=membership, kind=PenaltyCause.ABSENCE, status=PenaltyStatus.OWED
        ).update(status=PenaltyStatus.WAIVED)


def _fine_absence(*, meeting: Meeting, membership: Membership) -> None:
    fine = meeting.group.absence_fine
    if fine <= 0:
        return
    waived = Penalty.objects.filter(
        meeting=meeting, membership=membership, kind=PenaltyCause.ABSENCE, status=PenaltyStatus.WAIVED
    )
    if waived.update(status=PenaltyStatus.OWED):
        return
    try:
        with transaction.atomic():
            penalty = Penalty.objects.create(
                kind=PenaltyCause.ABSENCE,
                meeting=meeting,
                membership=membership,
                amount=fine,
                reason=f"Missed the meeting of {timezone.localtime(meeting.scheduled_for, meeting.group.tz):%d %b %Y}",
            )
    except IntegrityError:
        return  # already fined for this meeting
    group = meeting.group
    notify(
        user=membership.user,
        event="penalty_charged",
        context={**group_context(group), "amount": money_text(fine, group.currency), "reason": penalty.reason},
        key=f"penalty:{penalty.pk}",
    )


def levy_fine(*, actor: Membership, membership: Membership, amount: Decimal, reason: str) -> Penalty:
    """An official fines a member, with a reason the member sees."""
    require_official(actor)
    if membership.status == MembershipStatus.LEFT:
        raise GroupStateError("That member has left the group.")
    if membership.pk == actor.pk:
        raise GroupStateError("Another official must fine you.")
    fine = Penalty.objects.create(
        kind=PenaltyCause.FINE, membership=membership, amount=amount, reason=reason, levied_by=actor
    )
    group = actor.group
    notify(
        user=membership.user,
        event="fine_levied",
        context={**group_context(group), "amount": money_text(amount, group.currency), "reason": reason},
        key=f"penalty:{fine.pk}",
    )
    return fine
