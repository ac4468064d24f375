from datetime import timedelta

from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="billpay.sync_billers",
        task="billpay.sync_billers",
        schedule=Crontab(minute="20", hour="4", timezone="Africa/Lagos"),
        description="Daily: sync billers, plans and bouquets from the bill provider; dropped ones become inactive.",
    ),
    PeriodicJob(
        name="billpay.requery_bill_orders",
        task="billpay.requery_bill_orders",
        schedule=timedelta(minutes=1),
        description="Every minute: requery pending bill orders that are due (backoff per order) until each is final; "
        "flag those pending over an hour.",
    ),
]
