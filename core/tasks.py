from celery import shared_task

from core.backups import run_daily_backup


@shared_task(name="core.daily_backup")  # type: ignore[untyped-decorator]
def daily_backup() -> dict[str, object]:
    return run_daily_backup()
