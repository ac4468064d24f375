"""Writes for meetings and fines: schedule, record attendance and minutes, fine absentees once, levy fines."""

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from contributions.models import Penalty, PenaltyCause, PenaltyStatus
from groups.errors import GroupStateError
from groups.models import (
    Attendance,
    AttendanceStatus,
    GroupStatus,
    Meeting,
    MeetingStatus,
    Membership,
    MembershipStatus,
)
from groups.services import require_official
from notifications.services import notify


def schedule_meeting(
    *, actor: Membership, scheduled_for: datetime, place: str = "", link: str = "", agenda: str = ""
) -> Meeting:
    require_official(actor)
    if actor.group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
        raise GroupStateError("A finished group holds no more meetings.")
    meeting = Meeting.objects.create(
        group=actor.group, scheduled_for=scheduled_for, place=place, link=link, agenda=agenda, created_by=actor
    )
    for membership in actor.group.memberships.select_related("user").filter(status=MembershipStatus.ACTIVE):
        notify(
            user=membership.user,
            kind="meeting_scheduled",
            title=f"{actor.group.name}: meeting on {timezone.localtime(scheduled_for, actor.group.tz):%d %b %H:%M}",
            body=place or link,
            data={"group": str(actor.group_id), "meeting": meeting.pk},
        )
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
        members = {m.pk: m for m in group.memberships.exclude(status=MembershipStatus.LEFT)}
        unknown = sorted(set(attendance) - set(members))
        if unknown:
            raise GroupStateError("Some of these are not members of the group.", details={"unknown": unknown})
        for membership_id, status in attendance.items():
            Attendance.objects.update_or_create(
                meeting=meeting, membership_id=membership_id, defaults={"status": status}
            )
            if status == AttendanceStatus.ABSENT:
                _fine_absence(meeting=meeting, membership=members[membership_id])
            else:
                Penalty.objects.filter(
                    meeting=meeting, membership_id=membership_id, kind=PenaltyCause.ABSENCE, status=PenaltyStatus.OWED
                ).update(status=PenaltyStatus.WAIVED)
        if minutes is not None:
            meeting.minutes = minutes
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["minutes", "status"])
        return meeting


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
            Penalty.objects.create(
                kind=PenaltyCause.ABSENCE,
                meeting=meeting,
                membership=membership,
                amount=fine,
                reason=f"Missed the meeting of {timezone.localtime(meeting.scheduled_for, meeting.group.tz):%d %b %Y}",
            )
    except IntegrityError:
        return  # already fined for this meeting


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
    notify(
        user=membership.user,
        kind="fine_levied",
        title=f"{actor.group.name}: a fine of {actor.group.currency} {amount}",
        body=reason,
        data={"group": str(actor.group_id), "penalty": fine.pk},
    )
    return fine
