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
]
