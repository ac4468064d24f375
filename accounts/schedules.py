from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="accounts.flush_expired_tokens",
        task="accounts.flush_expired_tokens",
        schedule=Crontab(minute="30", hour="2"),
        description="Delete refresh-token records past their expiry.",
    ),
]
