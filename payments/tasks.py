import httpx
from celery import shared_task

from payments.services.audit import run_ledger_check
from payments.services.idempotency import purge_expired_idempotency_records
from payments.services.reconciliation import reconcile_pending_payments as reconcile
from payments.services.withdrawals import submit_withdrawal_to_provider


class WebhookNotAcceptedError(Exception):
    pass


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
def reconcile_pending_payments() -> dict:
    return reconcile()


@shared_task(name="payments.complete_sandbox_payment")
def complete_sandbox_payment(record_id: int, outcome: str) -> str:
    from payments.models import SandboxPayment
    from payments.providers.sandbox import complete_payment

    return complete_payment(record=SandboxPayment.objects.get(pk=record_id), outcome=outcome).status


@shared_task(
    name="payments.deliver_sandbox_webhook",
    autoretry_for=(httpx.TransportError, WebhookNotAcceptedError),
    retry_backoff=2,
    max_retries=5,
)
def deliver_sandbox_webhook(record_id: int) -> int:
    """Like a provider, the sandbox retries a delivery our endpoint did not accept."""
    from payments.models import SandboxPayment
    from payments.providers.sandbox import deliver_webhook

    status = deliver_webhook(record=SandboxPayment.objects.get(pk=record_id))
    if status >= 500:
        raise WebhookNotAcceptedError(f"webhook answered {status}")
    return status
