from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="groups.cancel_stale_groups",
        task="groups.cancel_stale_groups",
        schedule=Crontab(minute="30", hour="4", day_of_week="1"),
        description="Weekly: cancel groups still forming 30 days after creation; refund their dues.",
    ),
]
