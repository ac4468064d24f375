"""Writes for meetings: schedule, record attendance and minutes (an absentee's fine is the money side: announced)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from groups.errors import GroupStateError
from groups.hooks import ATTENDANCE_RECORDED, announce
from groups.models import (
    Attendance,
    GroupStatus,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipStatus,
)
from groups.notices import group_context
from groups.services import require_official
from notifications.services import notify


def schedule_meeting(
    *, actor: Membership, scheduled_for: datetime, place: str = "", link: str = "", agenda: str = ""
) -> Meeting:
    require_official(actor)
    if actor.group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
        raise GroupStateError("A finished group holds no more meetings.")
    group = actor.group
    with transaction.atomic():
        meeting = Meeting.objects.create(
            group=group, scheduled_for=scheduled_for, place=place, link=link, agenda=agenda, created_by=actor
        )
        context = {
            **group_context(group),
            "meeting_at": timezone.localtime(scheduled_for, group.tz).isoformat(timespec="minutes"),
            "place": place or link,
        }
        for membership in group.memberships.select_related("user").filter(status=MembershipStatus.ACTIVE):
            notify(user=membership.user, event="meeting_scheduled", context=context, key=f"meeting:{meeting.pk}")
    return meeting


def record_meeting(
    *, actor: Membership, meeting: Meeting, attendance: dict[int, str], minutes: str | None = None
) -> Meeting:
    """Save attendance (membership id → present/absent/apology) and minutes, and mark the meeting held.

    Saving again only changes what changed: an absentee's fine is posted once per meeting (a unique row), and is
    waived if the record is corrected to present or apology before it is paid."""
    require_official(actor)
    group = actor.group
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(no_key=True).get(pk=meeting.pk)
        if meeting.status == MeetingStatus.CANCELLED:
            raise GroupStateError("This meeting was cancelled.")
        members = {m.pk: m for m in group.memberships.select_related("user").exclude(status=MembershipStatus.LEFT)}
        unknown = sorted(set(attendance) - set(members))
        if unknown:
            raise GroupStateError("Some of these are not members of the group.", details={"unknown": unknown})
        for membership_id, status in attendance.items():
            Attendance.objects.update_or_create(
                meeting=meeting, membership_id=membership_id, defaults={"status": status}
            )
            announce(ATTENDANCE_RECORDED, meeting=meeting, membership=members[membership_id], status=status)
        if minutes is not None:
            meeting.minutes = minutes
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["minutes", "status"])
        return meeting
