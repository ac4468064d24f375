"""Saved cards: keeping a card's reusable authorization, paying with it, and removing it.

A saved-card charge is a deposit like any other (`Charge`, settled once by `apply_charge_result`), opened without a
checkout: the charge is written pending in the request's transaction, and only once that has committed is the
provider asked to charge the card (Paystack `charge_authorization`, Flutterwave tokenized charge), with no lock
held. So the money is never taken for a charge we have no record of: whatever the provider answers at once, its
webhook, or the hourly reconciliation settles that record through the same `apply_charge_result`, exactly once.
"""

import logging
import secrets
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.errors import ConflictError
from payments.errors import CardNotReusableError, ProviderNotSupportedError
from payments.models import Card, Charge, ChargeStatus, Provider
from payments.providers.base import (
    CardChargeRequest,
    PaymentStatus,
    ProviderError,
    ProviderRejectedError,
    SavedCardCharger,
)
from payments.providers.registry import get_provider
from payments.services.deposits import apply_charge_result, check_deposit_maximum, check_provider_takes

logger = logging.getLogger("pamoja.payments")

# Providers whose card authorizations can be kept and charged again.
CARD_PROVIDERS = (Provider.PAYSTACK.value, Provider.FLUTTERWAVE.value)


def save_card(*, user: User, charge: Charge) -> Card:
    """Keep the reusable authorization of a card the user has just paid with (asked of the provider, not the SPA).

    The provider's card signature refuses the same card twice for one user.
    """
    if charge.status != ChargeStatus.SUCCEEDED or charge.provider not in CARD_PROVIDERS:
        raise CardNotReusableError("Save a card from a successful Paystack or Flutterwave card deposit.")
    result = get_provider(charge.provider).verify_charge(
        reference=charge.reference, provider_reference=charge.provider_reference or None
    )
    authorization = result.authorization or {}
    if not authorization.get("reusable") or not authorization.get("authorization_code"):
        raise CardNotReusableError()
    try:
        with transaction.atomic():
            return Card.objects.create(
                user=user,
                provider=charge.provider,
                authorization_code=authorization["authorization_code"],
                signature=authorization.get("signature") or authorization["authorization_code"],
                last4=str(authorization.get("last4", ""))[-4:],
                brand=authorization.get("brand") or authorization.get("card_type") or "",
                exp_month=int(authorization.get("exp_month") or 0),
                exp_year=int(authorization.get("exp_year") or 0),
                bank=authorization.get("bank") or "",
            )
    except IntegrityError as exc:
        raise ConflictError("This card is already saved.") from exc


def remove_card(*, card: Card) -> None:
    """Forget a saved card. Charges it already paid, or has pending, are unaffected (they carry no link to it)."""
    card.delete()


def _check_card_usable(card: Card) -> None:
    today = timezone.localdate()
    if card.exp_year and (card.exp_year, card.exp_month) < (today.year, today.month):
        raise CardNotReusableError("This card has expired; pay by checkout and save the new card.")


def charge_saved_card(
    *,
    user: User,
    card: Card,
    amount: Decimal,
    currency: str,
    purpose: str = "",
    purpose_id: str = "",
) -> Charge:
    """Open a deposit paid with `card` (the caller has checked the PIN and that the card is the user's). The charge
    is pending until the provider's answer, asked after commit, settles it; with a `purpose` the credited money
    goes on to that purpose's handler, as for any charge (`payments.charge_purposes`)."""
    if card.provider not in CARD_PROVIDERS:
        raise ProviderNotSupportedError(f"{card.get_provider_display()} cards cannot be charged again.")
    check_provider_takes(provider=card.provider, currency=currency)
    _check_card_usable(card)
    adapter = get_provider(card.provider)
    if not isinstance(adapter, SavedCardCharger):
        raise ProviderNotSupportedError(f"{card.get_provider_display()} cannot charge saved cards.")
    check_deposit_maximum(adapter=adapter, amount=amount, currency=currency)
    charge = Charge.objects.create(
        reference=f"PMJ-{uuid.uuid4().hex[:20].upper()}",
        user=user,
        provider=card.provider,
        amount=amount,
        currency=currency,
        callback_token=secrets.token_urlsafe(32),
        purpose=purpose,
        purpose_id=purpose_id,
    )
    request = CardChargeRequest(
        reference=charge.reference,
        amount=amount,
        currency=currency,
        email=user.email,
        authorization_code=card.authorization_code,
        last4=card.last4,
        metadata={"charge_id": str(charge.pk), "user_id": str(user.pk), "saved_card": True},
    )
    transaction.on_commit(lambda: send_card_charge(charge=charge, request=request))
    return charge


def send_card_charge(*, charge: Charge, request: CardChargeRequest) -> str:
    """After commit, with no lock held: ask the provider to charge the card and settle what it answers at once.
    `charge` (what `charge_saved_card` returned) is brought up to date. Money is safe whatever happens here: a
    charge left pending is settled by the provider's webhook or the reconciliation sweep, so an error is logged,
    not raised into the request."""
    try:
        adapter = get_provider(charge.provider)
        assert isinstance(adapter, SavedCardCharger)  # checked when the charge was opened
        try:
            result = adapter.charge_authorization(request)
        except ProviderError:
            logger.warning("card charge %s: no answer from %s; left pending", charge.reference, charge.provider)
            return "still_pending"
        except ProviderRejectedError as exc:  # refused outright (an authorization no longer valid): not charged
            outcome = apply_charge_result(
                charge_id=charge.pk, status=PaymentStatus.FAILED, amount=None, currency=None, message=exc.message
            )
        else:
            if result.provider_reference:
                Charge.objects.filter(pk=charge.pk, provider_reference="").update(
                    provider_reference=result.provider_reference[:100]
                )
            outcome = apply_charge_result(
                charge_id=charge.pk,
                status=result.status,
                amount=result.amount,
                currency=result.currency,
                message=result.message,
            )
        charge.refresh_from_db()
        return outcome
    except Exception:
        logger.exception("card charge %s: settling the provider's answer failed; reconciliation will", charge.reference)
        return "error"
