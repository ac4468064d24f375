from config.schedules import Crontab, PeriodicJob

JOBS = [
    PeriodicJob(
        name="core.daily_backup",
        task="core.daily_backup",
        schedule=Crontab(minute="30", hour="2", timezone="Africa/Nairobi"),
        description="Back up the database to the backups storage; delete backups past BACKUP_RETENTION_DAYS.",
    ),
]
