from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="payments.ledger_check",
        task="payments.ledger_check",
        schedule=Crontab(minute="15", hour="0", timezone="Africa/Nairobi"),
        description="Prove the books every night; email staff on any discrepancy.",
    ),
    PeriodicJob(
        name="payments.purge_idempotency_records",
        task="payments.purge_idempotency_records",
        schedule=Crontab(minute="45", hour="3"),
        description="Delete Idempotency-Key records past their 24-hour life.",
    ),
    PeriodicJob(
        name="payments.reconcile_pending_payments",
        task="payments.reconcile_pending_payments",
        schedule=Crontab(minute="5"),
        description="Every hour: settle or fail charges and withdrawals pending for over 15 minutes.",
    ),
]
