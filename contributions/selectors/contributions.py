"""Reads about contributions and payouts: always the caller's own, or a group the caller belongs to."""

from django.db.models import Count, Q, QuerySet

from contributions.errors import ContributionNotFoundError, PenaltyNotFoundError
from contributions.models import Contribution, ContributionStatus, Cycle, Payout, Penalty
from groups.errors import GroupNotFoundError
from groups.models import MembershipStatus, SavingsGroup


def contributions_of(*, user) -> QuerySet[Contribution]:
    return (
        Contribution.objects.filter(membership__user=user)
        .exclude(membership__status=MembershipStatus.LEFT)
        .select_related("cycle__group", "membership")
        .order_by("due_date", "cycle__number", "slot", "pk")
    )


def contribution_of(*, user, pk) -> Contribution:
    ascii_digits = str(pk).isascii() and str(pk).isdigit()
    contribution = contributions_of(user=user).filter(pk=pk).first() if ascii_digits else None
    if contribution is None:
        raise ContributionNotFoundError()
    return contribution


def penalty_of(*, user, pk) -> Penalty:
    penalty = (
        Penalty.objects.filter(membership__user=user, pk=pk).select_related("membership__group").first()
        if str(pk).isascii() and str(pk).isdigit()
        else None
    )
    if penalty is None:
        raise PenaltyNotFoundError()
    return penalty


def payouts_of(*, user) -> QuerySet[Payout]:
    return Payout.objects.filter(recipient__user=user).select_related("cycle__group", "recipient__user")


def cycles_of(*, group: SavingsGroup) -> QuerySet[Cycle]:
    return (
        group.cycles.select_related("recipient__user", "payout")
        .annotate(
            paid_count=Count(
                "contributions",
                filter=Q(contributions__status__in=[ContributionStatus.PAID, ContributionStatus.COVERED]),
            ),
            contribution_count=Count("contributions"),
        )
        .order_by("number")
    )


def cycle_in(*, group: SavingsGroup, number: int) -> Cycle:
    """The group's cycle by its number; `GroupNotFoundError` (404) when it has none such."""
    cycle = group.cycles.filter(number=number).first()
    if cycle is None:
        raise GroupNotFoundError("No such cycle in this group.")
    return cycle
