"""Saved beneficiaries: numbers a user pays often (mum's phone, the shop's meter), checked as an order checks them."""

import uuid

from django.db import IntegrityError, transaction

from accounts.models import User
from billpay.errors import BeneficiaryExistsError
from billpay.models import Beneficiary
from billpay.selectors import beneficiary_of, get_biller
from billpay.services.orders import customer_number


def add_beneficiary(*, user: User, label: str, service: str, customer_id: str) -> Beneficiary:
    """Save a number for a service, in the form an order would send it (so "buy again" cannot fail on it).
    The same number for the same service twice is a conflict (409), not a second row."""
    biller = get_biller(slug=service)
    number = customer_number(biller=biller, customer_id=customer_id)
    try:
        with transaction.atomic():
            return Beneficiary.objects.create(user=user, label=label.strip(), biller=biller, number=number)
    except IntegrityError:
        raise BeneficiaryExistsError(details={"service": service, "customer_id": number}) from None


def change_beneficiary(*, user_id: uuid.UUID, beneficiary_id: int, label: str | None = None) -> Beneficiary:
    """Rename a saved number (its service and number stay: another number is another beneficiary)."""
    beneficiary = beneficiary_of(user_id=user_id, beneficiary_id=beneficiary_id)
    if label is not None:
        beneficiary.label = label.strip()
        beneficiary.save(update_fields=["label"])
    return beneficiary


def remove_beneficiary(*, user_id: uuid.UUID, beneficiary_id: int) -> None:
    beneficiary_of(user_id=user_id, beneficiary_id=beneficiary_id).delete()
