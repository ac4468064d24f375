"""The hourly sweep: ask the provider about every charge and withdrawal still pending after 15 minutes."""

import logging
from datetime import timedelta

from django.utils import timezone

from payments.models import Charge, ChargeStatus, ReconciliationDecision, Withdrawal, WithdrawalStatus
from payments.providers.base import PaymentStatus, ProviderError, ProviderRejectedError
from payments.providers.registry import get_provider
from payments.services.deposits import apply_charge_result
from payments.services.withdrawals import apply_transfer_result, submit_withdrawal_to_provider

logger = logging.getLogger("pamoja.payments")

STALE_AFTER = timedelta(minutes=15)


ABANDONED_AFTER = timedelta(hours=24)


def reconcile_charge(*, charge: Charge) -> ReconciliationDecision:
    try:
        adapter = get_provider(charge.provider)
        result = adapter.verify_charge(reference=charge.reference, provider_reference=charge.provider_reference or None)
    except ProviderError as exc:
        return ReconciliationDecision.objects.create(
            charge=charge, provider_status="unknown", decision="provider_unreachable", details={"error": str(exc)}
        )
    except ProviderRejectedError as exc:
        # The provider has no such payment (a checkout never opened). After a day it is abandoned: failed; a late
        # success would still credit it (apply_charge_result accepts a success on a failed charge).
        decision = "provider_has_no_record"
        if timezone.now() - charge.created_at > ABANDONED_AFTER:
            decision = apply_charge_result(
                charge_id=charge.pk, status=PaymentStatus.FAILED, amount=None, currency=None, message=exc.message
            )
        return ReconciliationDecision.objects.create(
            charge=charge, provider_status="not_found", decision=decision, details={"error": exc.message}
        )
    amount = result.amount
    if amount is None and not adapter.charge_query_reports_amount:
        # The query confirms the charge we asked for (Daraja's STK push), whose amount we fixed.
        amount = charge.amount
    decision = apply_charge_result(
        charge_id=charge.pk,
        status=result.status,
        amount=amount,
        currency=result.currency,
        message=result.message,
    )
    return ReconciliationDecision.objects.create(
        charge=charge,
        provider_status=result.status,
        decision=decision,
        details={"amount": str(result.amount), "currency": result.currency, "message": result.message},
    )


def reconcile_withdrawal(*, withdrawal: Withdrawal) -> ReconciliationDecision:
    if withdrawal.submitted_at is None:
        # Never sent: its task was not queued (the broker was down when the hold committed). `submitted_at` is set
        # before every provider call, so the provider has not seen it: send it now, once.
        decision = submit_withdrawal_to_provider(withdrawal_id=withdrawal.pk)
        return ReconciliationDecision.objects.create(
            withdrawal=withdrawal, provider_status="not_sent", decision=decision, details={}
        )
    try:
        result = get_provider(withdrawal.provider).verify_transfer(
            reference=withdrawal.reference, provider_reference=withdrawal.provider_reference or None
        )
    except ProviderError as exc:
        return ReconciliationDecision.objects.create(
            withdrawal=withdrawal,
            provider_status="unknown",
            decision="provider_unreachable",
            details={"error": str(exc)},
        )
    decision = apply_transfer_result(
        withdrawal_id=withdrawal.pk,
        status=result.status,
        provider_reference=result.provider_reference,
        message=result.message,
    )
    return ReconciliationDecision.objects.create(
        withdrawal=withdrawal, provider_status=result.status, decision=decision, details={"message": result.message}
    )


def reconcile_pending_payments() -> dict[str, int]:
    """One decision recorded per stale charge and withdrawal; one failure never stops the sweep."""
    cutoff = timezone.now() - STALE_AFTER
    counts = {"charges": 0, "withdrawals": 0, "errors": 0}
    for charge in Charge.objects.filter(status=ChargeStatus.PENDING, created_at__lte=cutoff).iterator():
        try:
            reconcile_charge(charge=charge)
            counts["charges"] += 1
        except Exception:
            counts["errors"] += 1
            logger.exception("reconciliation of charge %s failed", charge.reference)
    for withdrawal in Withdrawal.objects.filter(status=WithdrawalStatus.PROCESSING, created_at__lte=cutoff).iterator():
        try:
            reconcile_withdrawal(withdrawal=withdrawal)
            counts["withdrawals"] += 1
        except Exception:
            counts["errors"] += 1
            logger.exception("reconciliation of withdrawal %s failed", withdrawal.reference)
    return counts
