"""Posting to the double-entry ledger: the one way money moves."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, DecimalField, Value, When

from core.money import minor_unit
from payments.errors import AlreadyReversedError, InsufficientFundsError, UnbalancedTransactionError
from payments.models import (
    OFF_PLATFORM_KINDS,
    OFF_PLATFORM_PARTNERS,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
    Transfer,
    TransferStatus,
)

MONEY_FIELD: "DecimalField[Decimal, Decimal]" = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class Leg:
    """One side of a posting: a signed amount on an account (positive adds to its balance)."""

    account: LedgerAccount
    amount: Decimal


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedTransactionError("A posting needs at least two legs.")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        if leg.amount == 0:
            raise UnbalancedTransactionError("A leg of zero moves nothing.")
        if leg.amount != leg.amount.quantize(minor_unit(leg.account.currency)):
            raise UnbalancedTransactionError(f"{leg.amount} is finer than {leg.account.currency}'s minor unit.")
        totals[leg.account.currency] += leg.amount
    unbalanced = {currency: str(total) for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedTransactionError(details={"sums": unbalanced})
    kinds = {leg.account.kind for leg in legs}
    if kinds & OFF_PLATFORM_KINDS and not kinds <= OFF_PLATFORM_PARTNERS:
        # Cash that officials record is not money Pamoja holds: it must never become e-money.
        raise UnbalancedTransactionError(
            "Off-platform money cannot meet e-money in one posting.",
            details={"kinds": sorted(kinds - OFF_PLATFORM_PARTNERS)},
        )


def lock_accounts(accounts: Sequence[LedgerAccount]) -> dict[int, LedgerAccount]:
    """Lock the guarded ones among `accounts`, in id order (so two postings never deadlock), and return them
    fresh from the database. Must run inside a transaction; locking again later in it costs nothing."""
    guarded_ids = sorted({account.pk for account in accounts if account.is_guarded})
    if not guarded_ids:
        return {}
    return {
        account.pk: account
        for account in LedgerAccount.objects.select_for_update().filter(pk__in=guarded_ids).order_by("pk")
    }


def post_transaction(
    *,
    kind: TransactionKind,
    legs: Sequence[Leg],
    idempotency_key: str,
    reference: str = "",
    memo: str = "",
    metadata: Mapping[str, Any] | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post `legs` as one balanced transaction, or return the transaction already posted under `idempotency_key`.

    Guarded accounts are locked in id order (so two postings never deadlock), checked against going negative and
    their cached balances updated in the same database transaction; house accounts are neither locked nor updated.
    Statements: one locking select, one key lookup, one insert of the transaction, one bulk insert of the entries,
    one update of the guarded balances; between house accounts only, the insert (in a savepoint) is the lookup.
    """
    _check_legs(legs)
    with transaction.atomic():
        locked = lock_accounts([leg.account for leg in legs])
        if locked:  # without a lock the insert below finds an earlier posting under the key (IntegrityError)
            existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing

        balances = {pk: account.balance for pk, account in locked.items()}
        balance_after: list[Decimal | None] = []
        for leg in legs:
            if leg.account.pk in balances:
                balances[leg.account.pk] += leg.amount
                balance_after.append(balances[leg.account.pk])
            else:
                balance_after.append(None)
        short = [pk for pk, balance in balances.items() if balance < 0]
        if short:
            account = locked[short[0]]
            raise InsufficientFundsError(
                details={"currency": account.currency, "available": str(account.balance)},
            )

        fields = {
            "kind": kind,
            "idempotency_key": idempotency_key,
            "reference": reference,
            "memo": memo[:255],
            "metadata": dict(metadata or {}),
            "reverses": reverses,
        }
        if locked:
            # The locks serialise every posting that shares these accounts, so the key lookup above is final.
            posted = LedgerTransaction.objects.create(**fields)
        else:
            try:
                with transaction.atomic():
                    posted = LedgerTransaction.objects.create(**fields)
            except IntegrityError:
                concurrent = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
                if concurrent is None:  # another unique rule (a second reversal of one original)
                    raise
                return concurrent

        LedgerEntry.objects.bulk_create(
            LedgerEntry(transaction=posted, account=leg.account, amount=leg.amount, balance_after=after)
            for leg, after in zip(legs, balance_after, strict=True)
        )
        if len(balances) == 1:
            ((pk, balance),) = balances.items()
            LedgerAccount.objects.filter(pk=pk).update(balance=balance)
        elif balances:
            LedgerAccount.objects.filter(pk__in=balances).update(
                balance=Case(
                    *(When(pk=pk, then=Value(balance)) for pk, balance in balances.items()), output_field=MONEY_FIELD
                )
            )
        for leg in legs:
            if leg.account.pk in balances:
                leg.account.balance = balances[leg.account.pk]
    return posted


def reverse_transaction(
    *, original: LedgerTransaction, reason: str, idempotency_key: str | None = None
) -> LedgerTransaction:
    """Post the mirror image of `original`, linked to it. An original is reversed at most once."""
    if original.kind == TransactionKind.REVERSAL:
        raise AlreadyReversedError("A reversal cannot itself be reversed; post the original movement again.")
    key = idempotency_key or f"reversal:{original.pk}"
    existing = LedgerTransaction.objects.filter(reverses=original).first()
    if existing is not None:
        if existing.idempotency_key == key:
            return existing
        raise AlreadyReversedError()
    legs = [Leg(entry.account, -entry.amount) for entry in original.entries.select_related("account")]
    try:
        with transaction.atomic():
            reversal = post_transaction(
                kind=TransactionKind.REVERSAL,
                legs=legs,
                idempotency_key=key,
                reference=original.reference,
                memo=reason,
                metadata={"reverses": original.pk, "reason": reason},
                reverses=original,
            )
            # the wallet-to-wallet record says so too (deposits and withdrawals keep their provider's status)
            Transfer.objects.filter(ledger_transaction=original).update(status=TransferStatus.REVERSED)
            return reversal
    except IntegrityError as exc:  # a concurrent reversal under another key won the unique `reverses`
        raise AlreadyReversedError() from exc
