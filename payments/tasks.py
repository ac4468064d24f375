from celery import shared_task

# The sandboxes' own tasks (completing a payment, delivering its webhook) live with the sandbox framework; named
# here so that the worker, which loads each app's `tasks`, knows them.
from payments.providers.sandbox import complete_sandbox_payment, deliver_sandbox_webhook
from payments.services.audit import run_ledger_check
from payments.services.idempotency import purge_expired_idempotency_records
from payments.services.reconciliation import reconcile_pending_payments as reconcile
from payments.services.withdrawals import submit_withdrawal_to_provider

__all__ = [
    "complete_sandbox_payment",
    "deliver_sandbox_webhook",
    "ledger_check",
    "purge_idempotency_records",
    "reconcile_pending_payments",
    "submit_withdrawal",
]


@shared_task(name="payments.ledger_check")
def ledger_check() -> int:
    return run_ledger_check()


@shared_task(name="payments.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired_idempotency_records()


@shared_task(name="payments.submit_withdrawal")
def submit_withdrawal(withdrawal_id: str) -> str:
    return submit_withdrawal_to_provider(withdrawal_id=withdrawal_id)


@shared_task(name="payments.reconcile_pending_payments")
def reconcile_pending_payments() -> dict[str, int]:
    return reconcile()
