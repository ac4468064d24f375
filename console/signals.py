"""Celery signal receivers: thin, they hand what they saw to a service."""

from typing import Any

from console.services import record_ledger_check_run

LEDGER_CHECK_TASK = "payments.ledger_check"


def record_ledger_check_task(
    sender: Any = None, task_id: str | None = None, retval: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    """After `payments.ledger_check` (its return value is the number of discrepancies), store the result."""
    if getattr(sender, "name", None) != LEDGER_CHECK_TASK:
        return
    if isinstance(retval, int) and not isinstance(retval, bool) and state != "FAILURE":
        record_ledger_check_run(discrepancies=retval, task_id=task_id or "")
    else:
        record_ledger_check_run(discrepancies=None, error=f"{state or 'error'}: {retval!r}", task_id=task_id or "")


def record_ledger_check_command(sender: Any = None, discrepancies: int = 0, **kwargs: Any) -> None:
    """After `manage.py ledger_check` run by hand."""
    record_ledger_check_run(discrepancies=discrepancies, task_id="manage.py ledger_check")
