from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="billpay.sync_billers",
        task="billpay.sync_billers",
        schedule=Crontab(minute="20", hour="4", timezone="Africa/Lagos"),
        description="Daily: sync billers, plans and bouquets from the bill provider; dropped ones become inactive.",
    ),
]
