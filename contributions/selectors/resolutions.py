"""Reads of a group's resolutions and welfare fund."""

from django.db.models import QuerySet

from contributions.errors import ResolutionNotFoundError
from contributions.models import Resolution, ResolutionVote, WelfareContribution
from contributions.selectors.balances import welfare_balance_of
from groups.models import Membership, SavingsGroup


def resolutions_of(*, group: SavingsGroup) -> QuerySet[Resolution]:
    return Resolution.objects.filter(group=group).select_related("beneficiary").order_by("-created_at", "-id")


def resolution_in(*, group: SavingsGroup, resolution_id: int | None) -> Resolution:
    resolution = resolutions_of(group=group).filter(pk=resolution_id).first() if resolution_id else None
    if resolution is None:
        raise ResolutionNotFoundError()
    return resolution


def votes_of(*, membership: Membership, resolution_ids: list[int]) -> dict[int, str]:
    """How `membership` voted on each of the resolutions, by id."""
    return dict(
        ResolutionVote.objects.filter(membership=membership, resolution_id__in=resolution_ids).values_list(
            "resolution_id", "choice"
        )
    )


def welfare_fund(*, membership: Membership) -> dict:
    """The fund's dues and balance, and the dues paid: everyone's for an official, the member's own otherwise."""
    group = membership.group
    paid = WelfareContribution.objects.filter(membership__group=group).select_related("cycle")
    if not membership.is_official:
        paid = paid.filter(membership=membership)
    return {
        "contribution": group.welfare_contribution,
        "balance": welfare_balance_of(group=group),
        "currency": group.currency,
        "contributions": list(paid.order_by("cycle__number", "id")),
    }
