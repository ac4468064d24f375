"""Balances of a group's own accounts, read without creating them (an account nobody has paid into yet has none)."""

from decimal import Decimal

from groups.models import SavingsGroup
from payments.models import AccountKind, LedgerAccount


def owned_balance(*, kind: str, owner_type: str, owner_id: object, currency: str) -> Decimal:
    balance = (
        LedgerAccount.objects.filter(kind=kind, owner_type=owner_type, owner_id=str(owner_id), currency=currency)
        .values_list("balance", flat=True)
        .first()
    )
    return balance if balance is not None else Decimal("0.00")


def welfare_balance_of(*, group: SavingsGroup) -> Decimal:
    return owned_balance(kind=AccountKind.GROUP_WELFARE, owner_type="group", owner_id=group.pk, currency=group.currency)
