from datetime import timedelta

from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="contributions.reminders",
        task="contributions.dispatch_group_job",
        schedule=Crontab(minute="0"),
        kwargs={"job": "reminders"},
        description="09:00 in each group's zone: remind members of contributions due in two days and today.",
    ),
    PeriodicJob(
        name="contributions.penalties",
        task="contributions.dispatch_group_job",
        schedule=Crontab(minute="0"),
        kwargs={"job": "penalties"},
        description="01:00 in each group's zone: penalties on late contributions (once a period) and loan instalments.",
    ),
    PeriodicJob(
        name="contributions.payouts",
        task="contributions.dispatch_group_job",
        schedule=Crontab(minute="0"),
        kwargs={"job": "payouts"},
        description="10:00 in each group's zone: pay out every cycle that is ready; complete finished groups.",
    ),
    PeriodicJob(
        name="groups.flag_inactive_groups",
        task="groups.flag_inactive_groups",
        schedule=Crontab(minute="45", hour="4", day_of_week="1"),
        description="Weekly: flag running groups with no payment in 60 days and tell their officials.",
    ),
    PeriodicJob(
        name="groups.weekly_summaries",
        task="groups.send_weekly_summaries",
        schedule=Crontab(minute="0", hour="7", day_of_week="1", timezone="Africa/Nairobi"),
        description="Mondays: each running group's officials get its on-time rate, collections, arrears and loans.",
    ),
    PeriodicJob(
        name="contributions.close_due_resolutions",
        task="contributions.close_due_resolutions",
        schedule=timedelta(minutes=5),
        description="Every 5 minutes: decide resolutions whose voting time is over, on the votes cast.",
    ),
    PeriodicJob(
        name="contributions.bill_plans",
        task="contributions.bill_plans",
        schedule=Crontab(minute="15", hour="6"),
        description="Daily: bill paid group plans whose month has run out, once per month; unpaid ones lapse to Free.",
    ),
]
