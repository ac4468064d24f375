"""Inbound provider webhooks: stored raw, verified, then acted on once per event."""

import json
import logging
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from payments.models import Charge, PaymentReview, ProcessedEvent, WebhookDelivery, Withdrawal
from payments.providers.base import (
    ChargeResult,
    EventKind,
    PaymentProvider,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    TransferResult,
    WebhookEvent,
    WebhookSignatureError,
)
from payments.providers.registry import get_provider
from payments.services.deposits import apply_charge_result
from payments.services.withdrawals import apply_transfer_result

logger = logging.getLogger("pamoja.payments")

# Headers worth keeping with the raw body; the rest (cookies, auth) is not ours to store.
_KEPT_HEADERS = {"content-type", "user-agent", "x-paystack-signature", "verif-hash", "x-forwarded-for"}
# Outcomes of an event the provider's API did not confirm: it could not be asked (the delivery is answered 503, so the
# provider sends it again), or it has no such payment or named another one (answered 200; nothing is done).
VERIFICATION_UNAVAILABLE = "verification_unavailable"
UNVERIFIED = "unverified"


def record_delivery(*, provider: str, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
    """Store the webhook as it came, in its own transaction, before anything can reject it.

    NUL characters cannot be stored in a PostgreSQL text column: they are kept as U+FFFD, so the record is
    readable and the request can still be answered (with 400, see `receive_webhook`)."""
    return WebhookDelivery.objects.create(
        provider=provider,
        headers={k: _printable(v) for k, v in headers.items() if k.lower() in _KEPT_HEADERS},
        body=_printable(body.decode("utf-8", errors="replace")),
    )


def receive_webhook(*, provider: str, headers: Mapping[str, str], body: bytes, callback_token: str = "") -> str:
    """Verify and act on one delivery; raises WebhookSignatureError for a forged or unauthenticated one, a Django
    ValidationError for a body with NUL characters, and ProviderError when the provider cannot be asked to confirm
    the event (the provider retries the delivery; nothing was changed)."""
    delivery = record_delivery(provider=provider, headers=headers, body=body)
    if _contains_nul(body):
        _finish(delivery, "nul_in_body")
        raise ValidationError({"body": ["A webhook body may not contain NUL characters (\\u0000)."]})
    adapter = get_provider(provider)
    target: Charge | Withdrawal | None = None
    if not adapter.signs_webhooks:
        # The provider signs nothing (Daraja): the unguessable token in the URL is the proof, checked first.
        target = (
            Charge.objects.filter(callback_token=callback_token).first()
            or Withdrawal.objects.filter(callback_token=callback_token).first()
            if callback_token and "\x00" not in callback_token
            else None
        )
        if target is None:
            _finish(delivery, "unknown_callback_token")
            raise WebhookSignatureError("unknown callback token")
    try:
        events = adapter.parse_webhook(headers=headers, body=body)
    except WebhookSignatureError:
        _finish(delivery, "signature_invalid")
        raise
    except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, RecursionError) as exc:
        # Not JSON, or not shaped as the provider documents it (a list, a missing id, an amount that is no number).
        _finish(delivery, "unreadable", signature_valid=True)
        logger.warning("%s webhook #%s unreadable: %r", provider, delivery.pk, exc, exc_info=True)
        return "unreadable"
    outcomes = [_process_event(adapter=adapter, event=event, target=target) for event in events]
    outcome = ",".join(outcomes) or "ignored"
    _finish(delivery, outcome, signature_valid=True)
    if VERIFICATION_UNAVAILABLE in outcomes:
        raise ProviderError("The payment provider could not confirm this event; deliver it again later.")
    return outcome


def _printable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _contains_nul(body: bytes) -> bool:
    """A NUL byte, or a JSON string holding an escaped one (`\\u0000`), anywhere in the body."""
    if b"\x00" in body:
        return True
    if b"\\u0000" not in body:
        return False
    try:
        stack = [json.loads(body)]
    except (ValueError, RecursionError):
        return False  # not JSON: the adapter calls it unreadable, and nothing of it is stored but the raw text
    while stack:
        value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _finish(delivery: WebhookDelivery, outcome: str, *, signature_valid: bool = False) -> None:
    delivery.outcome = outcome[:64]
    delivery.signature_valid = signature_valid
    delivery.save(update_fields=["outcome", "signature_valid"])


def _process_event(*, adapter: PaymentProvider, event: WebhookEvent, target: Charge | Withdrawal | None) -> str:
    provider = adapter.name
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
        return _process_charge_event(adapter=adapter, event=event, charge=charge)
    withdrawal = (
        target if isinstance(target, Withdrawal) else Withdrawal.objects.filter(reference=event.reference).first()
    )
    if withdrawal is None or withdrawal.provider != provider:
        logger.warning("%s transfer event for unknown reference %r", provider, event.reference)
        return "unknown_reference"
    return _process_transfer_event(adapter=adapter, event=event, withdrawal=withdrawal)


def _ask_provider(
    *,
    adapter: PaymentProvider,
    what: str,
    verify: Callable[..., ChargeResult | TransferResult],
    reference: str,
    provider_reference: str | None,
    event: WebhookEvent,
) -> ChargeResult | TransferResult | str:
    """The provider's own answer about `reference`, or the outcome to record when there is none: it could not be
    asked (`VERIFICATION_UNAVAILABLE`), or it has no such payment or names another (`UNVERIFIED`)."""
    try:
        verified = verify(reference=reference, provider_reference=provider_reference)
    except ProviderError as exc:
        logger.warning("%s: could not verify %s %s: %s", adapter.name, what, reference, exc)
        return VERIFICATION_UNAVAILABLE
    except ProviderRejectedError as exc:
        logger.warning("%s has no %s %s to confirm the webhook: %s", adapter.name, what, reference, exc)
        return UNVERIFIED
    if verified.reference != reference:
        logger.warning("%s verification for %s named %r", adapter.name, reference, verified.reference)
        return UNVERIFIED
    if verified.status != event.status:
        logger.warning(
            "%s webhook says %s for %s %s; the API says %s: acting on the API",
            adapter.name,
            event.status,
            what,
            reference,
            verified.status,
        )
    return verified


def _process_charge_event(*, adapter: PaymentProvider, event: WebhookEvent, charge: Charge) -> str:
    status, amount, currency, message = event.status, event.amount, event.currency, event.message
    if adapter.verifies_charges:
        # A webhook proves at most who sent it. Ask the provider's API what became of the charge, outside any
        # transaction (no lock is held during the call), and act on its answer, never on the body alone.
        verified = _ask_provider(
            adapter=adapter,
            what="charge",
            verify=adapter.verify_charge,
            reference=charge.reference,
            provider_reference=charge.provider_reference or event.provider_reference,
            event=event,
        )
        if isinstance(verified, str):
            return verified
        status, message = verified.status, verified.message or event.message
        # Daraja's STK query reports no amount: the callback's, which is checked against our record, stands.
        amount = verified.amount if verified.amount is not None else event.amount
        currency = verified.currency or event.currency
    if status == PaymentStatus.PENDING:
        return "still_pending"  # not claimed: the same event may come again once the provider is sure
    with transaction.atomic():
        if not _claim(adapter.name, event.event_id):
            return "duplicate"
        return apply_charge_result(
            charge_id=charge.pk,
            status=status,
            amount=amount,
            currency=currency,
            message=message,
            phone_number=event.phone_number,
        )


def _process_transfer_event(*, adapter: PaymentProvider, event: WebhookEvent, withdrawal: Withdrawal) -> str:
    status, amount, provider_reference, message = event.status, event.amount, event.provider_reference, event.message
    if adapter.verifies_transfers:
        # As for charges: the provider's own record of the transfer decides, asked before any lock is taken.
        verified = _ask_provider(
            adapter=adapter,
            what="transfer",
            verify=adapter.verify_transfer,
            reference=withdrawal.reference,
            provider_reference=withdrawal.provider_reference or event.provider_reference,
            event=event,
        )
        if isinstance(verified, str):
            return verified
        status, amount, message = verified.status, verified.amount, verified.message or event.message
        provider_reference = verified.provider_reference
    if status == PaymentStatus.PENDING:
        return "still_pending"
    with transaction.atomic():
        if not _claim(adapter.name, event.event_id):
            return "duplicate"
        if amount is not None and amount != withdrawal.amount and status == PaymentStatus.SUCCEEDED:
            PaymentReview.objects.create(
                withdrawal=withdrawal,
                reason="Provider's transfer amount differs from our record",
                details={"ours": str(withdrawal.amount), "provider": str(amount)},
            )
        return apply_transfer_result(
            withdrawal_id=withdrawal.pk,
            status=status,
            provider_reference=provider_reference,
            message=message,
        )


def _claim(provider: str, event_id: str) -> bool:
    """Write the event's row with its effect; a concurrent delivery of the same event waits here, then loses."""
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(provider=provider, event_id=event_id, outcome="processed")
    except IntegrityError:
        return False
    return True
