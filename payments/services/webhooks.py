"""Inbound provider webhooks: stored raw, verified, then acted on once per event."""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from payments.models import Charge, PaymentReview, ProcessedEvent, WebhookDelivery, Withdrawal
from payments.providers.base import EventKind, PaymentStatus, WebhookEvent, WebhookSignatureError
from payments.providers.registry import get_provider
from payments.services.deposits import apply_charge_result
from payments.services.withdrawals import apply_transfer_result

logger = logging.getLogger("pamoja.payments")

# Headers worth keeping with the raw body; the rest (cookies, auth) is not ours to store.
_KEPT_HEADERS = {"content-type", "user-agent", "x-paystack-signature", "verif-hash", "x-forwarded-for"}


def record_delivery(*, provider: str, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
    """Store the webhook as it came, in its own transaction, before anything can reject it."""
    return WebhookDelivery.objects.create(
        provider=provider,
        headers={k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS},
        body=body.decode("utf-8", errors="replace"),
    )


def receive_webhook(*, provider: str, headers: Mapping[str, str], body: bytes, callback_token: str = "") -> str:
    """Verify and act on one delivery; raises WebhookSignatureError for a forged or unauthenticated one."""
    delivery = record_delivery(provider=provider, headers=headers, body=body)
    target: Charge | Withdrawal | None = None
    if provider == "mpesa":
        # Daraja signs nothing: the unguessable token in the URL is the proof, checked before anything else.
        target = (
            Charge.objects.filter(callback_token=callback_token).first()
            or Withdrawal.objects.filter(callback_token=callback_token).first()
            if callback_token
            else None
        )
        if target is None:
            _finish(delivery, "unknown_callback_token")
            raise WebhookSignatureError("unknown callback token")
    try:
        events = get_provider(provider).parse_webhook(headers=headers, body=body)
    except WebhookSignatureError:
        _finish(delivery, "signature_invalid")
        raise
    except ValueError as exc:
        _finish(delivery, "unreadable", signature_valid=True)
        logger.warning("%s webhook #%s unreadable: %s", provider, delivery.pk, exc)
        return "unreadable"
    outcomes = [_process_event(provider=provider, event=event, target=target) for event in events]
    outcome = ",".join(outcomes) or "ignored"
    _finish(delivery, outcome, signature_valid=True)
    return outcome


def _finish(delivery: WebhookDelivery, outcome: str, *, signature_valid: bool = False) -> None:
    delivery.outcome = outcome[:64]
    delivery.signature_valid = signature_valid
    delivery.save(update_fields=["outcome", "signature_valid"])


def _process_event(*, provider: str, event: WebhookEvent, target: Charge | Withdrawal | None) -> str:
    if ProcessedEvent.objects.filter(provider=provider, event_id=event.event_id).exists():
        return "duplicate"
    if target is not None and target.provider_reference and event.provider_reference != target.provider_reference:
        # A callback on this payment's URL about another payment: believe neither.
        logger.warning("%s callback for %s names %r", provider, target.reference, event.provider_reference)
        return "provider_reference_mismatch"
    if event.kind == EventKind.CHARGE:
        charge = target if isinstance(target, Charge) else Charge.objects.filter(reference=event.reference).first()
        if charge is None or charge.provider != provider:
            logger.warning("%s charge event for unknown reference %r", provider, event.reference)
            return "unknown_reference"
        status, amount, currency = event.status, event.amount, event.currency
        if provider == "flutterwave" and status == PaymentStatus.SUCCEEDED:
            # Flutterwave's hash proves the sender, not the payment: ask its API, by id, before crediting.
            verified = get_provider(provider).verify_charge(
                reference=charge.reference, provider_reference=event.provider_reference
            )
            status, amount, currency = verified.status, verified.amount, verified.currency
        if status == PaymentStatus.PENDING:
            return "still_pending"  # not claimed: the same event may come again once the provider is sure
        with transaction.atomic():
            if not _claim(provider, event.event_id):
                return "duplicate"
            return apply_charge_result(
                charge_id=charge.pk,
                status=status,
                amount=amount,
                currency=currency,
                message=event.message,
                phone_number=event.phone_number,
            )
    withdrawal = (
        target if isinstance(target, Withdrawal) else Withdrawal.objects.filter(reference=event.reference).first()
    )
    if withdrawal is None or withdrawal.provider != provider:
        logger.warning("%s transfer event for unknown reference %r", provider, event.reference)
        return "unknown_reference"
    if event.amount is not None and event.amount != withdrawal.amount and event.status == PaymentStatus.SUCCEEDED:
        PaymentReview.objects.create(
            withdrawal=withdrawal,
            reason="Provider's transfer amount differs from our record",
            details={"ours": str(withdrawal.amount), "provider": str(event.amount)},
        )
    if event.status == PaymentStatus.PENDING:
        return "still_pending"
    with transaction.atomic():
        if not _claim(provider, event.event_id):
            return "duplicate"
        return apply_transfer_result(
            withdrawal_id=withdrawal.pk,
            status=event.status,
            provider_reference=event.provider_reference,
            message=event.message,
        )


def _claim(provider: str, event_id: str) -> bool:
    """Write the event's row with its effect; a concurrent delivery of the same event waits here, then loses."""
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(provider=provider, event_id=event_id, outcome="processed")
    except IntegrityError:
        return False
    return True
