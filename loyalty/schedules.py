from datetime import timedelta

from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="loyalty.expire_issuances",
        task="loyalty.expire_issuances",
        schedule=timedelta(minutes=15),
        description="Every 15 minutes: expire rewards past their validity and release their cost to the budget.",
    ),
    PeriodicJob(
        name="loyalty.warn_expiring",
        task="loyalty.warn_expiring",
        schedule=Crontab(minute="0", hour="9", timezone="Africa/Nairobi"),
        description="Daily: text customers whose rewards expire within three days (once per reward).",
    ),
    PeriodicJob(
        name="loyalty.expire_points",
        task="loyalty.expire_points",
        schedule=Crontab(minute="40", hour="2"),
        description="Daily: expire customers' points older than their tenant's validity period.",
    ),
    PeriodicJob(
        name="loyalty.roll_up_analytics",
        task="loyalty.roll_up_analytics",
        schedule=Crontab(minute="20", hour="1"),
        description="Daily: roll up each tenant's yesterday (its zone), the day before, and any missing day of 366.",
    ),
    PeriodicJob(
        name="loyalty.deliver_due_webhooks",
        task="loyalty.deliver_due_webhooks",
        schedule=timedelta(minutes=1),
        description="Every minute: queue the merchants' webhook deliveries whose next attempt is due.",
    ),
    PeriodicJob(
        name="loyalty.review_tiers",
        task="loyalty.review_tiers",
        schedule=Crontab(minute="10", hour="3"),
        description="Daily: review every customer holding a tier (downgrades happen with no event).",
    ),
]
