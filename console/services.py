"""The console's one write: remembering a `ledger_check` run."""

from console.models import LedgerCheckRun


def record_ledger_check_run(*, discrepancies: int | None, error: str = "", task_id: str = "") -> LedgerCheckRun:
    """Store a finished run; `discrepancies` is None when the run raised instead of answering."""
    return LedgerCheckRun.objects.create(discrepancies=discrepancies, error=error[:255], task_id=task_id[:64])
