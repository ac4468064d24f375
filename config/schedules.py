"""Periodic jobs: each app lists its own in `<app>/schedules.py` as `JOBS = [PeriodicJob(...), ...]`.

`manage.py setup_schedules` writes them into django-celery-beat's tables (idempotently) and `manage.py run_job NAME`
runs one at once, in-process.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.app_hooks import installed_app_modules


@dataclass(frozen=True)
class Crontab:
    """A cron line, read in `timezone` (jobs that follow each group's own zone fan out from an hourly job)."""

    minute: str = "0"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"
    timezone: str = "UTC"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    schedule: Crontab | timedelta
    description: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)


def declared_jobs() -> list[PeriodicJob]:
    """Every installed app's jobs, in app order; a name used twice is a programming error."""
    jobs: list[PeriodicJob] = []
    for module in installed_app_modules("schedules"):
        jobs.extend(getattr(module, "JOBS", []))
    names = [job.name for job in jobs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise RuntimeError(f"Periodic job names must be unique; repeated: {', '.join(duplicates)}")
    return jobs


def job_named(name: str) -> PeriodicJob | None:
    return next((job for job in declared_jobs() if job.name == name), None)
