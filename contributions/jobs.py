"""The scheduled group jobs: beat runs one dispatcher an hour per job; it picks the running groups whose own time
zone has just reached the job's local hour and queues one task per group, so one slow or failing group never
holds up the rest, and every per-group task is idempotent (running it twice, or on two workers, changes nothing
the second time)."""

import zoneinfo
from collections.abc import Iterable

from django.utils import timezone

from groups.models import GroupStatus, SavingsGroup

LOCAL_HOURS = {"reminders": 9, "penalties": 1, "payouts": 10}


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
