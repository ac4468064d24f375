from celery import shared_task

from payments.services.audit import run_ledger_check
from payments.services.idempotency import purge_expired_idempotency_records


@shared_task(name="payments.ledger_check")
def ledger_check() -> int:
    return run_ledger_check()


@shared_task(name="payments.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired_idempotency_records()
