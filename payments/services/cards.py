from django.db import IntegrityError, transaction

from accounts.models import User
from core.errors import ConflictError
from payments.errors import CardNotReusableError
from payments.models import Card, Charge, ChargeStatus
from payments.providers.registry import get_provider


def save_card(*, user: User, charge: Charge) -> Card:
    """Keep the reusable authorization of a card the user has just paid with (asked of the provider, not the SPA).

    The provider's card signature refuses the same card twice for one user.
    """
    if charge.status != ChargeStatus.SUCCEEDED or charge.provider != "paystack":
        raise CardNotReusableError("Save a card from a successful Paystack card deposit.")
    result = get_provider(charge.provider).verify_charge(reference=charge.reference)
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
