from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="groups.cancel_stale_groups",
        task="groups.cancel_stale_groups",
        schedule=Crontab(minute="30", hour="4", day_of_week="1"),
        description="Weekly: cancel groups still forming 30 days after creation; refund their dues.",
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
]
