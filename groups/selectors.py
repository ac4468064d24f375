"""Reads about groups. Every group read goes through `membership_of`, so a non-member learns nothing (404)."""

import uuid

from django.db.models import QuerySet

from groups.errors import GroupNotFoundError
from groups.models import GroupMessage, Membership, MembershipStatus, SavingsGroup


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


def members_of(*, group: SavingsGroup) -> QuerySet[Membership]:
    return group.memberships.exclude(status=MembershipStatus.LEFT).select_related("user").order_by("joined_at", "pk")


def member_in(*, group: SavingsGroup, membership_id) -> Membership:
    membership = members_of(group=group).filter(pk=membership_id).first()
    if membership is None:
        raise GroupNotFoundError("No such member in this group.")
    return membership


def messages_of(*, group: SavingsGroup) -> QuerySet[GroupMessage]:
    return group.messages.all()


def meetings_of(*, group: SavingsGroup):
    return group.meetings.prefetch_related("attendance__membership")


def meeting_in(*, group: SavingsGroup, meeting_id):
    meeting = meetings_of(group=group).filter(pk=meeting_id).first()
    if meeting is None:
        raise GroupNotFoundError("No such meeting in this group.")
    return meeting
