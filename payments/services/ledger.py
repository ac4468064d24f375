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


@dataclass(frozen=True)
class CheckedPosting:
    """A posting that passed every refusal (`check_posting`): its legs and each guarded account's balance after it."""

    legs: Sequence[Leg]
    balances: dict[int, Decimal]  # guarded account id → its balance after the posting
    balance_after: list[Decimal | None]  # per leg; None for a house account


def check_posting(legs: Sequence[Leg], locked: Mapping[int, LedgerAccount]) -> CheckedPosting:
    """Every refusal of a posting, before anything is written: legs that do not balance, and a guarded account
    (`locked`: fresh from `lock_accounts`) that would go below zero. Reads nothing from the database."""
    _check_legs(legs)
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
        raise InsufficientFundsError(details={"currency": account.currency, "available": str(account.balance)})
    return CheckedPosting(legs=legs, balances=balances, balance_after=balance_after)


def write_posting(posting: CheckedPosting, *, transaction_row: LedgerTransaction) -> LedgerTransaction:
    """Write a checked posting: the transaction row (unsaved; inserted here unless already saved), one bulk insert
    of the entries, one update of the guarded balances. Call inside the transaction that holds the locks; raises
    nothing but database errors, so a caller may run it without a savepoint of its own."""
    if transaction_row.pk is None:
        transaction_row.save(force_insert=True)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=transaction_row, account=leg.account, amount=leg.amount, balance_after=after)
        for leg, after in zip(posting.legs, posting.balance_after, strict=True)
    )
    balances = posting.balances
    if len(balances) == 1:
        ((pk, balance),) = balances.items()
        LedgerAccount.objects.filter(pk=pk).update(balance=balance)
    elif balances:
        LedgerAccount.objects.filter(pk__in=balances).update(
            balance=Case(
                *(When(pk=pk, then=Value(balance)) for pk, balance in balances.items()), output_field=MONEY_FIELD
            )
        )
    for leg in posting.legs:
        if leg.account.pk in balances:
            leg.account.balance = balances[leg.account.pk]
    return transaction_row


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
    (A caller that already holds the locks and made a fresh key uses `check_posting` and `write_posting`.)
    """
    _check_legs(legs)
    with transaction.atomic():
        locked = lock_accounts([leg.account for leg in legs])
        if locked:  # without a lock the insert below finds an earlier posting under the key (IntegrityError)
            existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing

        posting = check_posting(legs, locked)
        row = LedgerTransaction(
            kind=kind,
            idempotency_key=idempotency_key,
            reference=reference,
            memo=memo[:255],
            metadata=dict(metadata or {}),
            reverses=reverses,
        )
        if not locked:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                concurrent = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
                if concurrent is None:  # another unique rule (a second reversal of one original)
                    raise
                return concurrent
        # With locks, they serialise every posting that shares these accounts, so the key lookup above is final.
        return write_posting(posting, transaction_row=row)


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
