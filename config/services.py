"""Platform writes: registering periodic jobs, loading demo data."""

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TextIO

from django.apps import apps
from django.db import connection, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.encryption import EncryptedTextField, rotate
from config.schedules import Crontab, PeriodicJob, declared_jobs
from core.app_hooks import installed_app_modules

MANAGED_MARKER = "[managed by setup_schedules]"


@dataclass
class ScheduleSyncResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]


def _schedule_row(schedule: Crontab | timedelta) -> dict[str, CrontabSchedule | IntervalSchedule | None]:
    if isinstance(schedule, timedelta):
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=int(schedule.total_seconds()), period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=schedule.minute,
        hour=schedule.hour,
        day_of_week=schedule.day_of_week,
        day_of_month=schedule.day_of_month,
        month_of_year=schedule.month_of_year,
        timezone=schedule.timezone,
    )
    return {"crontab": crontab, "interval": None}


def _wanted_fields(job: PeriodicJob) -> dict:
    return {
        "task": job.task,
        "kwargs": json.dumps(job.kwargs, sort_keys=True),
        "description": f"{job.description} {MANAGED_MARKER}".strip(),
        "enabled": True,
        **_schedule_row(job.schedule),
    }


@transaction.atomic
def sync_periodic_jobs(*, jobs: list[PeriodicJob] | None = None) -> ScheduleSyncResult:
    """Make beat's table match the declared jobs. Running it again changes nothing.

    Jobs this command once registered but no app declares any more are removed; tasks added by hand in the admin
    (without the marker) are left alone.
    """
    jobs = declared_jobs() if jobs is None else jobs
    result = ScheduleSyncResult(created=[], updated=[], unchanged=[], removed=[])
    for job in jobs:
        wanted = _wanted_fields(job)
        task = PeriodicTask.objects.filter(name=job.name).first()
        if task is None:
            PeriodicTask.objects.create(name=job.name, **wanted)
            result.created.append(job.name)
            continue
        changed = {key: value for key, value in wanted.items() if getattr(task, key) != value}
        if changed:
            for key, value in changed.items():
                setattr(task, key, value)
            task.save()
            result.updated.append(job.name)
        else:
            result.unchanged.append(job.name)
    declared = {job.name for job in jobs}
    stale = PeriodicTask.objects.filter(description__endswith=MANAGED_MARKER).exclude(name__in=declared)
    result.removed = sorted(stale.values_list("name", flat=True))
    stale.delete()
    return result


def seed_demo_data(*, stdout: TextIO) -> None:
    """Run each app's `demo.seed(stdout=...)`, in app order. Each seed is idempotent."""
    for module in installed_app_modules("demo"):
        with transaction.atomic():
            module.seed(stdout=stdout)


def rotate_encrypted_fields() -> dict[str, int]:
    """Re-encrypt every EncryptedTextField value with the first FIELD_ENCRYPTION_KEYS key.

    Run after putting a new key first (the old ones still listed); afterwards the old keys can be dropped.
    Reads and writes the stored tokens directly, row by row, so plaintext never passes through a model.
    """
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
            rotated = 0
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'SELECT "{pk}", "{column}" FROM "{table}" WHERE "{column}" <> \'\'')  # noqa: S608
                for row_pk, token in cursor.fetchall():
                    cursor.execute(
                        f'UPDATE "{table}" SET "{column}" = %s WHERE "{pk}" = %s',  # noqa: S608
                        [rotate(token), row_pk],
                    )
                    rotated += 1
            counts[f"{model._meta.label}.{field.name}"] = rotated
    return counts
