"""The scheduled group jobs: beat runs one dispatcher an hour per job; it picks the running groups whose own time
zone has just reached the job's local hour and queues one task per group, so one slow or failing group never
holds up the rest, and every per-group task is idempotent (running it twice, or on two workers, changes nothing
the second time)."""

import zoneinfo
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contributions.selectors.reports import weekly_summary
from core.clock import local_today
from groups.models import OFFICIAL_ROLES, GroupStatus, Membership, MembershipStatus, SavingsGroup
from groups.notices import group_context
from groups.services import mark_inactive
from notifications.services import notify

LOCAL_HOURS = {"reminders": 9, "penalties": 1, "payouts": 10}
INACTIVE_DAYS = 60


def zones_at_local_hour(zones: Iterable[str], hour: int) -> list[str]:
    now = timezone.now()
    return sorted(zone for zone in set(zones) if now.astimezone(zoneinfo.ZoneInfo(zone)).hour == hour)


def groups_due(*, job: str, every_zone: bool = False) -> list[str]:
    """Ids of the running groups whose local time is the job's hour now (every running group if `every_zone`)."""
    running = SavingsGroup.objects.filter(status=GroupStatus.ACTIVE)
    if not every_zone:
        zones = running.values_list("time_zone", flat=True).distinct()
        running = running.filter(time_zone__in=zones_at_local_hour(zones, LOCAL_HOURS[job]))
    return [str(pk) for pk in running.order_by("pk").values_list("pk", flat=True)]


def flag_inactive_groups() -> int:
    """Flag running groups with no contribution paid for 60 days (counting from the start); unflag revived ones."""
    cutoff = timezone.now() - timedelta(days=INACTIVE_DAYS)
    running = SavingsGroup.objects.filter(status=GroupStatus.ACTIVE, started_at__lt=cutoff).annotate(
        last_paid=Max("cycles__contributions__paid_at")
    )
    flagged = 0
    for group in running:
        quiet = group.last_paid is None or group.last_paid < cutoff
        if quiet and group.flagged_inactive_at is None:
            with transaction.atomic():
                mark_inactive(group=group, inactive=True)
                flagged += 1
                for membership in _officials(group):
                    notify(
                        user=membership.user,
                        event="group_inactive",
                        context={**group_context(group), "days": str(INACTIVE_DAYS)},
                        key=f"inactive:{group.pk}:{local_today(group.tz).isoformat()}",
                    )
        elif not quiet and group.flagged_inactive_at is not None:
            mark_inactive(group=group, inactive=False)
    return flagged


def running_group_ids() -> list[str]:
    return [str(pk) for pk in SavingsGroup.objects.filter(status=GroupStatus.ACTIVE).values_list("pk", flat=True)]


def send_weekly_summary(*, group_id: str) -> int:
    """The week's headline figures to each official, once a week (the key is the group's ISO week). Returns how
    many were told: none when this week's summary has gone already."""
    group = SavingsGroup.objects.filter(pk=group_id, status=GroupStatus.ACTIVE).first()
    if group is None:
        return 0
    summary = weekly_summary(group=group)
    year, week, _ = local_today(group.tz).isocalendar()
    told = 0
    for membership in _officials(group):
        if notify(
            user=membership.user,
            event="group_weekly_summary",
            context={**group_context(group), "summary": summary},
            key=f"summary:{group.pk}:{year}-W{week:02d}",
        ):
            told += 1
    return told


def _officials(group: SavingsGroup) -> list[Membership]:
    return list(
        group.memberships.select_related("user").filter(status=MembershipStatus.ACTIVE, role__in=OFFICIAL_ROLES)
    )
