"""Inbound payment webhooks through core's pipeline (`core.webhooks`: stored raw, verified, each event acted on
once); what is payments' own: the callback token of unsigned providers, asking the provider's API to confirm an
event, and settling the charge or withdrawal it names."""

import json
import logging
import re
import time
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from core import webhooks
from core.models import WebhookDelivery
from payments.models import Charge, PaymentReview, Withdrawal
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

# Kept with the raw body, besides core's own list.
_SIGNATURE_HEADERS = ("x-paystack-signature", "verif-hash")
# Outcomes of an event the provider's API did not confirm: it could not be asked (the delivery is answered 503, so the
# provider sends it again), or it has no such payment or named another one (answered 200; nothing is done).
VERIFICATION_UNAVAILABLE = "verification_unavailable"
UNVERIFIED = "unverified"

# A callback can arrive before the request that opened its payment has committed: an M-Pesa STK push goes out from
# inside that request's transaction, so Daraja may call back while our charge row (and its token) is not yet
# visible. A token of the shape we issue (`secrets.token_urlsafe(32)`) is then looked for again for a moment; still
# unknown, the delivery is answered 503 (`CallbackNotYetKnown`), so the provider sends it again, and reconciliation
# asks after the charge in any case. Any other token is refused at once (401).
CALLBACK_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
EARLY_CALLBACK_WAIT = 3.0  # seconds spent looking for a well-shaped token's payment
EARLY_CALLBACK_POLL = 0.1
CALLBACK_NOT_YET_KNOWN = "callback_not_yet_known"


class CallbackNotYetKnown(Exception):
    """A callback whose well-shaped token names no payment yet (its request may not have committed): nothing was
    changed; the provider should deliver it again shortly."""


def receive_webhook(*, provider: str, headers: Mapping[str, str], body: bytes, callback_token: str = "") -> str:
    """Verify and act on one delivery; raises WebhookSignatureError for a forged or unauthenticated one, a Django
    ValidationError for a body with NUL characters, ProviderError when the provider cannot be asked to confirm
    the event, and CallbackNotYetKnown for a callback whose payment is not yet committed (in both, the provider
    retries the delivery; nothing was changed)."""
    adapter = get_provider(provider)
    target: Charge | Withdrawal | None = None

    def verify(delivery: WebhookDelivery) -> list[WebhookEvent]:
        nonlocal target
        if _contains_nul(body):
            error = ValidationError({"body": ["A webhook body may not contain NUL characters (\\u0000)."]})
            raise webhooks.Stop("nul_in_body", error=error)
        if not adapter.signs_webhooks:
            # The provider signs nothing (Daraja): the unguessable token in the URL is the proof, checked first.
            target = _callback_target(callback_token)
            if target is None and CALLBACK_TOKEN_SHAPE.fullmatch(callback_token):
                target = _callback_target_soon(callback_token)
                if target is None:
                    raise webhooks.Stop(CALLBACK_NOT_YET_KNOWN, error=CallbackNotYetKnown(callback_token[:8]))
            if target is None:
                raise webhooks.Stop("unknown_callback_token", error=WebhookSignatureError("unknown callback token"))
        try:
            return adapter.parse_webhook(headers=headers, body=body)
        except WebhookSignatureError as exc:
            raise webhooks.Stop("signature_invalid", error=exc) from exc
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, RecursionError) as exc:
            # Not JSON, or not shaped as the provider documents it (a list, a missing id, an amount that is no number).
            logger.warning("%s webhook #%s unreadable: %r", provider, delivery.pk, exc, exc_info=True)
            raise webhooks.Stop("unreadable", signature_valid=True) from exc

    outcome = webhooks.receive(
        provider=provider,
        headers=headers,
        body=body,
        kept_headers=_SIGNATURE_HEADERS,
        verify=verify,
        handle=lambda event: _process_event(adapter=adapter, event=event, target=target),
    )
    if VERIFICATION_UNAVAILABLE in outcome.split(","):
        raise ProviderError("The payment provider could not confirm this event; deliver it again later.")
    return outcome


def _callback_target(callback_token: str) -> Charge | Withdrawal | None:
    if not callback_token or "\x00" in callback_token:
        return None
    return (
        Charge.objects.filter(callback_token=callback_token).first()
        or Withdrawal.objects.filter(callback_token=callback_token).first()
    )


def _callback_target_soon(callback_token: str) -> Charge | Withdrawal | None:
    """Look for the token's payment again until EARLY_CALLBACK_WAIT has passed: each look is a new query outside
    any transaction (core.webhooks.receive runs there), so it sees the opening request's commit."""
    deadline = time.monotonic() + EARLY_CALLBACK_WAIT
    while time.monotonic() < deadline:
        time.sleep(EARLY_CALLBACK_POLL)
        target = _callback_target(callback_token)
        if target is not None:
            return target
    return None


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


def _process_event(*, adapter: PaymentProvider, event: WebhookEvent, target: Charge | Withdrawal | None) -> str:
    provider = adapter.name
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
        if not webhooks.claim_event(provider=adapter.name, event_id=event.event_id):
            return "duplicate"
        return apply_charge_result(
            charge_id=charge.pk,
            status=status,
            amount=amount,
            currency=currency,
            message=message,
            phone_number=event.phone_number,
            receipt_code=event.receipt_code,
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
        if not webhooks.claim_event(provider=adapter.name, event_id=event.event_id):
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
            receipt_code=event.receipt_code,
        )
