from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from config.schedules import Crontab, PeriodicJob, declared_jobs
from config.services import MANAGED_MARKER, sync_periodic_jobs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return PeriodicTask.objects.count(), CrontabSchedule.objects.count(), IntervalSchedule.objects.count()


def test_setup_schedules_twice_creates_nothing_new():
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    after_first = counts()
    assert after_first[0] == len(declared_jobs()) >= 1
    first_changed = PeriodicTask.objects.order_by("name").values_list("name", "date_changed")
    first_changed = list(first_changed)

    out = StringIO()
    call_command("setup_schedules", stdout=out)
    assert counts() == after_first
    assert "0 created, 0 updated" in out.getvalue()
    assert list(PeriodicTask.objects.order_by("name").values_list("name", "date_changed")) == first_changed


def test_declared_job_is_registered_with_its_schedule():
    call_command("setup_schedules", stdout=StringIO())
    task = PeriodicTask.objects.get(name="accounts.flush_expired_tokens")
    assert task.task == "accounts.flush_expired_tokens"
    assert (task.crontab.minute, task.crontab.hour) == ("30", "2")
    assert task.enabled


def test_changed_and_removed_jobs_are_synced_and_hand_made_tasks_left_alone():
    hand_made = PeriodicTask.objects.create(
        name="ops.adhoc",
        task="accounts.flush_expired_tokens",
        interval=IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS),
    )
    old = PeriodicJob(name="demo.job", task="accounts.flush_expired_tokens", schedule=timedelta(minutes=5))
    sync_periodic_jobs(jobs=[old])
    moved = PeriodicJob(name="demo.job", task="accounts.flush_expired_tokens", schedule=Crontab(minute="0", hour="1"))
    result = sync_periodic_jobs(jobs=[moved])
    assert result.updated == ["demo.job"]
    task = PeriodicTask.objects.get(name="demo.job")
    assert task.crontab.hour == "1" and task.interval is None
    assert task.description.endswith(MANAGED_MARKER)

    result = sync_periodic_jobs(jobs=[])
    assert result.removed == ["demo.job"]
    assert not PeriodicTask.objects.filter(name="demo.job").exists()
    assert PeriodicTask.objects.filter(pk=hand_made.pk).exists()


def test_run_job_runs_the_task_in_process():
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    user = UserFactory()
    OutstandingToken.objects.create(
        user=user,
        jti="expired-1",
        token="x",
        created_at=timezone.now() - timedelta(days=9),
        expires_at=timezone.now() - timedelta(days=2),
    )
    out = StringIO()
    call_command("run_job", "accounts.flush_expired_tokens", stdout=out)
    assert "accounts.flush_expired_tokens: 1" in out.getvalue()
    assert not OutstandingToken.objects.filter(jti="expired-1").exists()


def test_run_job_lists_jobs_and_refuses_unknown_names():
    out = StringIO()
    call_command("run_job", stdout=out)
    assert "accounts.flush_expired_tokens" in out.getvalue()
    with pytest.raises(CommandError, match="No periodic job named 'nope'"):
        call_command("run_job", "nope")
