from celery import shared_task

from contributions import jobs, services
from contributions.jobs import groups_due
from groups.models import SavingsGroup


def _group(group_id: str) -> SavingsGroup | None:
    return SavingsGroup.objects.filter(pk=group_id).first()


@shared_task(name="contributions.dispatch_group_job")
def dispatch_group_job(job: str, every_zone: bool = False) -> int:
    """Hourly: queue `job` for each running group whose local hour it is (see `contributions.jobs`)."""
    task = {"reminders": group_reminders, "penalties": group_penalties, "payouts": run_group_payouts}[job]
    group_ids = groups_due(job=job, every_zone=every_zone)
    for group_id in group_ids:
        task.delay(group_id)
    return len(group_ids)


@shared_task(name="contributions.group_reminders")
def group_reminders(group_id: str) -> int:
    group = _group(group_id)
    return services.send_reminders(group=group) if group else 0


@shared_task(name="contributions.group_penalties")
def group_penalties(group_id: str) -> int:
    """Late contributions and late loan instalments, in the same nightly pass."""
    group = _group(group_id)
    if group is None:
        return 0
    return services.assess_penalties(group=group) + services.assess_late_fees(group=group)


@shared_task(name="contributions.run_group_payouts")
def run_group_payouts(group_id: str) -> int:
    """Rotating groups pay each cycle's recipient; savings groups share out at the end of their period."""
    group = _group(group_id)
    if group is None:
        return 0
    if group.is_savings:
        return 1 if services.share_out_if_due(group=group) else 0
    return len(services.run_payouts(group=group))


# The names below keep their `groups.` prefix: beat schedules and queued messages already name them.


@shared_task(name="groups.flag_inactive_groups")
def flag_inactive_groups() -> int:
    return jobs.flag_inactive_groups()


@shared_task(name="groups.send_weekly_summaries")
def send_weekly_summaries() -> int:
    group_ids = jobs.running_group_ids()
    for group_id in group_ids:
        send_weekly_summary.delay(group_id)
    return len(group_ids)


@shared_task(name="groups.send_weekly_summary")
def send_weekly_summary(group_id: str) -> int:
    return jobs.send_weekly_summary(group_id=group_id)


@shared_task(name="contributions.close_due_resolutions")
def close_due_resolutions() -> int:
    """Decide resolutions whose voting time is over; safe to run twice."""
    return services.close_due_resolutions()


@shared_task(name="contributions.bill_plans")
def bill_plans() -> int:
    """Daily: bill each paid plan whose month has run out (once per month; a failed bill is retried the next day)."""
    return services.bill_plans()
