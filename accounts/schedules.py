from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="accounts.flush_expired_tokens",
        task="accounts.flush_expired_tokens",
        schedule=Crontab(minute="30", hour="2"),
        description="Delete refresh-token records past their expiry.",
    ),
    PeriodicJob(
        name="accounts.purge_expired_pin_tokens",
        task="accounts.purge_expired_pin_tokens",
        schedule=Crontab(minute="40", hour="2"),
        description="Delete PIN tokens a day past their five minutes.",
    ),
    PeriodicJob(
        name="accounts.mark_dormant_accounts",
        task="accounts.mark_dormant_accounts",
        schedule=Crontab(minute="0", hour="3", day_of_week="1"),
        description="Weekly: mark accounts with no sign-in for 90 days dormant.",
    ),
]
