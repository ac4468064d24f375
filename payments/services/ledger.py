"""Posting to the double-entry ledger: the one way money moves."""

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DecimalField, Value, When
from django.db.transaction import TransactionManagementError

from core.compiled_select import CompiledSelect
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
    if connection.get_autocommit():
        raise TransactionManagementError("Locking accounts outside a transaction would hold no lock.")
    return {account.pk: account for account in _accounts_lock(len(guarded_ids)).rows(*guarded_ids)}


@functools.cache
def _accounts_lock(count: int) -> CompiledSelect[LedgerAccount]:
    """The locking select of `count` accounts by id, compiled once per count: on every posting, building it cost
    more than its round trip."""
    markers = [-position for position in range(1, count + 1)]
    return CompiledSelect.compile(
        LedgerAccount.objects.select_for_update().filter(pk__in=markers).order_by("pk"),
        *((LedgerAccount._meta.pk, marker) for marker in markers),
    )


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
    """Write a checked posting under a fresh key (`transaction_row`: unsaved). Call inside the transaction that
    holds the locks; raises nothing but database errors, so a caller may run it without a savepoint of its own."""
    if not _insert_posting(posting, transaction_row):
        raise IntegrityError(f"A posting under {transaction_row.idempotency_key!r} already exists.")
    return transaction_row


def _insert_posting(posting: CheckedPosting, row: LedgerTransaction) -> bool:
    """Insert the transaction row, its entries and the guarded balances, or nothing at all when a posting under the
    row's key exists (then False). PostgreSQL does it in one statement; SQLite in the ORM's four."""
    if connection.vendor == "postgresql":
        written = _insert_posting_statement(posting, row)
    else:
        written = _insert_posting_orm(posting, row)
    if written:
        for leg in posting.legs:
            if leg.account.pk in posting.balances:
                leg.account.balance = posting.balances[leg.account.pk]
    return written


_METADATA_FIELD = LedgerTransaction._meta.get_field("metadata")


@functools.cache
def _posting_sql(legs: int, balances: int) -> str:
    """One data-modifying statement per shape: the transaction row (nothing if its key exists), the entries in leg
    order (their ids keep the order of the legs), the guarded balances; it returns the new row's id and time."""
    quote_name = connection.ops.quote_name
    transactions = quote_name(LedgerTransaction._meta.db_table)
    entries = quote_name(LedgerEntry._meta.db_table)
    accounts = quote_name(LedgerAccount._meta.db_table)
    leg_rows = ", ".join(f"({position}, %s::bigint, %s::numeric, %s::numeric)" for position in range(legs))
    sql = (
        f"WITH new_transaction AS ("  # noqa: S608 (table names and placeholders only)
        f"INSERT INTO {transactions} (kind, idempotency_key, reference, memo, metadata, reverses_id) "
        f"VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at), "
        f"new_entries AS (INSERT INTO {entries} (transaction_id, account_id, amount, balance_after) "
        f"SELECT new_transaction.id, leg.account_id, leg.amount, leg.balance_after "
        f"FROM new_transaction, (VALUES {leg_rows}) AS leg (position, account_id, amount, balance_after) "
        f"ORDER BY leg.position)"
    )
    if balances:
        balance_rows = ", ".join(["(%s::bigint, %s::numeric)"] * balances)
        sql += (
            f", new_balances AS (UPDATE {accounts} AS account SET balance = new.balance "  # noqa: S608
            f"FROM new_transaction, (VALUES {balance_rows}) AS new (id, balance) WHERE account.id = new.id)"
        )
    return f"{sql} SELECT id, created_at FROM new_transaction"  # noqa: S608


def _insert_posting_statement(posting: CheckedPosting, row: LedgerTransaction) -> bool:
    params: list[Any] = [
        row.kind,
        row.idempotency_key,
        row.reference,
        row.memo,
        _METADATA_FIELD.get_db_prep_save(row.metadata, connection),
        row.reverses_id,
    ]
    for leg, after in zip(posting.legs, posting.balance_after, strict=True):
        params += (leg.account.pk, leg.amount, after)
    for pk, balance in posting.balances.items():
        params += (pk, balance)
    with connection.cursor() as cursor:
        cursor.execute(_posting_sql(len(posting.legs), len(posting.balances)), params)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk, row.created_at = inserted
    row._state.adding = False
    row._state.db = connection.alias
    return True


def _insert_posting_orm(posting: CheckedPosting, row: LedgerTransaction) -> bool:
    """SQLite runs writing transactions one at a time (IMMEDIATE), so a look for the key before the insert is final."""
    if LedgerTransaction.objects.filter(idempotency_key=row.idempotency_key).exists():
        return False
    row.save(force_insert=True)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=row, account=leg.account, amount=leg.amount, balance_after=after)
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
    return True


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
        try:
            posting = check_posting(legs, locked)
        except InsufficientFundsError:
            earlier = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
            if earlier is not None:  # a retry of a posting that has since spent the money it moved
                return earlier
            raise
        row = LedgerTransaction(
            kind=kind,
            idempotency_key=idempotency_key,
            reference=reference,
            memo=memo[:255],
            metadata=dict(metadata or {}),
            reverses=reverses,
        )
        if _insert_posting(posting, row):
            return row
        # The key was taken: earlier, or by a concurrent posting that has committed (the insert waited for it).
        return LedgerTransaction.objects.get(idempotency_key=idempotency_key)


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
