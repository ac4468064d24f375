"""Deposits: a pending charge at the provider, credited to the wallet once when the provider confirms it."""

import logging
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.money import parse_amount, round_money
from notifications.rendering import money_text
from notifications.services import notify
from payments.charge_purposes import apply_charge_purpose
from payments.errors import ProviderNotSupportedError
from payments.models import AccountKind, Charge, ChargeStatus, PaymentReview, Provider, TransactionKind
from payments.providers.base import ChargeRequest, PaymentProvider, PaymentStatus
from payments.providers.registry import get_provider
from payments.services.accounts import get_house_account, get_wallet
from payments.services.ledger import Leg, post_transaction

logger = logging.getLogger("pamoja.payments")


def check_provider_takes(*, provider: str, currency: str) -> None:
    taken = settings.PROVIDER_CURRENCIES.get(provider, [])
    if currency not in taken:
        raise ProviderNotSupportedError(f"{provider} does not take {currency}; it takes {', '.join(taken)}.")


def deposit_maximum(*, adapter: PaymentProvider, currency: str) -> Decimal | None:
    """The largest deposit `adapter` takes in `currency`: its own ceiling or the configured cap, whichever is lower."""
    ceilings = []
    if (own := adapter.charge_maximums.get(currency)) is not None:
        ceilings.append(round_money(own, currency))
    if (configured := settings.DEPOSIT_MAXIMUMS.get(adapter.name, {}).get(currency)) is not None:
        ceilings.append(parse_amount(configured, currency))
    return min(ceilings) if ceilings else None


def check_deposit_maximum(*, adapter: PaymentProvider, amount: Decimal, currency: str) -> None:
    maximum = deposit_maximum(adapter=adapter, currency=currency)
    if maximum is not None and amount > maximum:
        label = Provider(adapter.name).label
        raise ValidationError({"amount": [f"{label} takes at most {currency} {maximum:,} per deposit."]})


def callback_url(name: str, **kwargs: str) -> str:
    return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs)}"


def start_deposit(
    *,
    user: User,
    amount: Decimal,
    currency: str,
    provider: str,
    phone_number: str | None = None,
    purpose: str = "",
    purpose_id: str = "",
) -> Charge:
    """Open a charge with the provider: a checkout URL for cards, an STK push for M-Pesa. Nothing is credited yet.

    With a `purpose`, the money is credited to the wallet and then handed to that purpose's registered handler in
    the same database transaction (see `payments.charge_purposes`)."""
    check_provider_takes(provider=provider, currency=currency)
    adapter = get_provider(provider)
    check_deposit_maximum(adapter=adapter, amount=amount, currency=currency)  # before any charge is opened
    token = secrets.token_urlsafe(32)
    charge = Charge.objects.create(
        reference=f"PMJ-{uuid.uuid4().hex[:20].upper()}",
        user=user,
        provider=provider,
        amount=amount,
        currency=currency,
        phone_number=phone_number or "",
        callback_token=token,
        purpose=purpose,
        purpose_id=purpose_id,
    )
    if not adapter.signs_webhooks:  # its result comes to this URL, known by the unguessable token in it (Daraja)
        url = callback_url(f"webhook-{provider}", token=token)
    else:
        url = f"{settings.DEPOSIT_RETURN_URL}?reference={charge.reference}"
    initiated = adapter.initialize_charge(
        ChargeRequest(
            reference=charge.reference,
            amount=amount,
            currency=currency,
            email=user.email,
            callback_url=url,
            phone_number=phone_number,
            metadata={"charge_id": str(charge.pk), "user_id": str(user.pk)},
        )
    )
    charge.authorization_url = initiated.authorization_url or ""
    charge.provider_reference = initiated.provider_reference or ""
    if initiated.status == PaymentStatus.FAILED:
        charge.status = ChargeStatus.FAILED
        charge.failure_reason = initiated.message[:255] or "The provider refused the charge."
    charge.save(update_fields=["authorization_url", "provider_reference", "status", "failure_reason", "updated_at"])
    return charge


def apply_charge_result(
    *,
    charge_id: uuid.UUID,
    status: PaymentStatus,
    amount: Decimal | None,
    currency: str | None,
    message: str = "",
    phone_number: str | None = None,
    receipt_code: str | None = None,
) -> str:
    """Settle a charge from what the provider says; returns what was done. Safe to call any number of times.

    The provider's success is final: it credits a pending charge, and also one we had marked failed (a card checkout
    abandoned, then paid after all), once. A success whose amount, currency or (M-Pesa) payer differs from our
    record is not credited: it goes to staff review and the charge stays as it was.
    """
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge_id)
        if charge.status == ChargeStatus.SUCCEEDED:
            return "already_succeeded"
        if charge.status == ChargeStatus.FAILED and status != PaymentStatus.SUCCEEDED:
            return "already_failed"
        if status == PaymentStatus.PENDING:
            return "still_pending"
        if status != PaymentStatus.SUCCEEDED:
            charge.status = ChargeStatus.FAILED
            charge.failure_reason = (message or "The payment did not go through.")[:255]
            charge.save(update_fields=["status", "failure_reason", "updated_at"])
            return "failed"
        mismatches: dict[str, dict[str, str]] = {}
        if amount is None or amount != charge.amount:
            mismatches["amount"] = {"ours": str(charge.amount), "provider": str(amount)}
        if currency is not None and currency != charge.currency:
            mismatches["currency"] = {"ours": charge.currency, "provider": currency}
        if phone_number and charge.phone_number and phone_number != charge.phone_number:
            mismatches["phone_number"] = {"ours": charge.phone_number, "provider": phone_number}
        if mismatches:
            PaymentReview.objects.create(
                charge=charge, reason="Provider's charge differs from our record", details=mismatches
            )
            logger.warning("charge %s not credited: %s", charge.reference, mismatches)
            return "sent_to_review"
        clearing = get_house_account(
            kind=AccountKind.PROVIDER_CLEARING, currency=charge.currency, code=f"{charge.provider}:in"
        )
        wallet = get_wallet(user_id=charge.user_id, currency=charge.currency)
        charge.ledger_transaction = post_transaction(
            kind=TransactionKind.DEPOSIT,
            legs=[Leg(clearing, -charge.amount), Leg(wallet, charge.amount)],
            idempotency_key=f"charge:{charge.pk}",
            reference=charge.reference,
            memo=f"Deposit via {charge.get_provider_display()}",
        )
        charge.status = ChargeStatus.SUCCEEDED
        charge.settled_at = timezone.now()
        charge.receipt_code = (receipt_code or charge.receipt_code)[:32]  # M-Pesa's, for the receipt and staff search
        charge.save(update_fields=["ledger_transaction", "status", "settled_at", "receipt_code", "updated_at"])
        if charge.purpose:
            return apply_charge_purpose(charge=charge)
        notify(
            user=charge.user,
            event="deposit_credited",
            context={"amount": money_text(charge.amount, charge.currency), "method": charge.get_provider_display()},
            key=f"charge:{charge.pk}",
        )
        return "credited"


def verify_charge(*, charge: Charge) -> str:
    """Ask the provider where a charge stands and apply the answer (reconciliation, or a webhook to double-check)."""
    result = get_provider(charge.provider).verify_charge(
        reference=charge.reference, provider_reference=charge.provider_reference or None
    )
    return apply_charge_result(
        charge_id=charge.pk,
        status=result.status,
        amount=result.amount,
        currency=result.currency,
        message=result.message,
    )
