from datetime import timedelta

from config.schedules import PeriodicJob

JOBS = [
    PeriodicJob(
        name="notifications.send_due",
        task="notifications.send_due",
        schedule=timedelta(minutes=1),
        description="Send deliveries that are due (after quiet hours or a retry's wait) or whose task was lost.",
    ),
]
