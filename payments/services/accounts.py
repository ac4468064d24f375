"""Ledger accounts are made when first needed; one per (kind, owner, currency, code)."""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q

from core.money import currency_digits
from payments.models import GUARDED_KINDS, AccountKind, LedgerAccount


def _get_or_create(
    *, kind: str, currency: str, owner_type: str = "", owner_id: str = "", code: str = ""
) -> LedgerAccount:
    currency_digits(currency)  # refuses an unknown currency with a clear message
    lookup = {"kind": kind, "currency": currency, "owner_type": owner_type, "owner_id": owner_id, "code": code}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup, is_guarded=kind in GUARDED_KINDS)
    except IntegrityError:  # made by a concurrent request a moment ago
        return LedgerAccount.objects.get(**lookup)


def get_wallet(*, user_id: uuid.UUID, currency: str) -> LedgerAccount:
    """The user's wallet in `currency`, created on first use."""
    return _get_or_create(kind=AccountKind.USER_WALLET, currency=currency, owner_type="user", owner_id=str(user_id))


def get_owned_account(
    *, kind: AccountKind, owner_type: str, owner_id: uuid.UUID | int | str, currency: str, code: str = ""
) -> LedgerAccount:
    """An account that belongs to something outside `payments` (a group's pot or cash book, a loan, a loyalty
    budget); `code` tells apart one owner's accounts of one kind (a cash book per payment method)."""
    return _get_or_create(kind=kind, currency=currency, owner_type=owner_type, owner_id=str(owner_id), code=code)


def get_house_account(*, kind: AccountKind, currency: str, code: str = "") -> LedgerAccount:
    """One of Pamoja's own accounts (income, clearing, in-flight, suspense). Never locked, no cached balance."""
    if kind in GUARDED_KINDS:
        raise ValueError(f"{kind} accounts have an owner; use get_owned_account or get_wallet")
    return _get_or_create(kind=kind, currency=currency, code=code)


def get_house_accounts(*specs: tuple[AccountKind, str, str]) -> list[LedgerAccount]:
    """Several house accounts, each (kind, currency, code), in one query when they exist (a posting between two
    house accounts fetches both at once); created on first use like `get_house_account`."""
    if any(kind in GUARDED_KINDS for kind, _, _ in specs):
        raise ValueError("guarded accounts have an owner; use get_owned_account or get_wallet")
    query = Q()
    for kind, currency, code in specs:
        query |= Q(kind=kind, currency=currency, code=code, owner_type="", owner_id="")
    found = {(a.kind, a.currency, a.code): a for a in LedgerAccount.objects.filter(query)}
    return [
        found.get((kind, currency, code)) or get_house_account(kind=kind, currency=currency, code=code)
        for kind, currency, code in specs
    ]
