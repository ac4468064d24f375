"""Reads that more than one caller needs."""

import functools
import uuid
from decimal import Decimal

from django.db import connection
from django.db.models import CharField, F, Field, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from core.compiled_select import CompiledSelect
from payments import backing, ledger_checks
from payments.entry_status import entry_status_fields
from payments.models import (
    OFF_PLATFORM_KINDS,
    OFF_PLATFORM_PARTNERS,
    AccountKind,
    BankAccount,
    Card,
    Charge,
    ChargeStatus,
    LedgerAccount,
    LedgerEntry,
    Provider,
    Withdrawal,
    WithdrawalStatus,
)


def wallets_of(*, user_id: uuid.UUID | str) -> QuerySet[LedgerAccount]:
    return LedgerAccount.objects.filter(
        kind=AccountKind.USER_WALLET, owner_type="user", owner_id=str(user_id)
    ).order_by("currency")


def wallet_balances_of(*, user_id: uuid.UUID) -> list[tuple[str, Decimal]]:
    """(currency, balance) of each of the user's wallets, by currency: `GET wallet/` on every app open, so two
    columns, no model instances, and a query compiled once."""
    return _wallet_balances().tuples(str(user_id))


@functools.cache
def _wallet_balances() -> CompiledSelect[LedgerAccount]:
    owner = "<owner>"
    return CompiledSelect.compile(
        wallets_of(user_id=owner).values_list("currency", "balance"),
        (LedgerAccount._meta.get_field("owner_id"), owner),
    )


def wallet_entries_of(*, user_id: uuid.UUID) -> QuerySet[LedgerEntry]:
    """Every posted movement on the user's wallets, newest first, with its `status`: a withdrawal's money leaves
    the wallet at once, and its row says `processing` until the provider settles (`succeeded`) or returns it
    (`failed`, `reversed`); a purchase another app owns says its own status (a bill order: `pending`, `delivered`,
    `refunded`, `reversed`; payments/entry_status.py); every other movement is `completed`."""
    return (
        LedgerEntry.objects.filter(
            account__kind=AccountKind.USER_WALLET, account__owner_type="user", account__owner_id=str(user_id)
        )
        .select_related("transaction", "account")
        .annotate(
            status=Coalesce(
                F("transaction__withdrawal_hold__status"),
                *(F(field) for field in entry_status_fields()),
                Value("completed"),
                output_field=CharField(),
            )
        )
        .order_by("-id")
    )


def wallet_balance(*, user_id: uuid.UUID, currency: str) -> Decimal:
    account = wallets_of(user_id=user_id).filter(currency=currency).first()
    return account.balance if account else Decimal("0")


def find_user_by_handle(handle: str) -> User | None:
    """A user by email, E.164 phone number or id; None when nobody matches."""
    handle = handle.strip()
    if "@" in handle:
        # stored lower-cased (a check constraint), so an exact match uses the unique index; iexact scans every row
        return _active_user_by("email").first(User.objects.normalize_email(handle))
    if handle.startswith("+"):
        return _active_user_by("phone_number").first(handle)
    try:
        return _active_user_by("id").first(uuid.UUID(handle))
    except ValueError:
        return None


@functools.cache
def _active_user_by(field_name: str) -> CompiledSelect[User]:
    """An active user by one unique field, compiled once: every transfer looks up its recipient."""
    field = User._meta.get_field(field_name)
    assert isinstance(field, Field)
    marker = uuid.uuid4() if field_name == "id" else f"<{field_name}>"
    return CompiledSelect.compile(User.objects.filter(**{field_name: marker}, is_active=True), (field, marker))


def _money(value: object) -> Decimal:
    """A sum read by raw SQL (SQLite returns floats) as a two-place Decimal."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


def ledger_discrepancies() -> list[str]:
    """Everything that proves the books wrong, one line each; an empty list means they are right.

    Entries sum to zero per transaction and currency; every transaction has at least two entries; each guarded
    account's cached balance equals the sum of its entries and is not negative; house accounts keep no balance.
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.transaction_id, a.currency, ROUND(SUM(e.amount), 2)
            FROM payments_ledgerentry e JOIN payments_ledgeraccount a ON a.id = e.account_id
            GROUP BY e.transaction_id, a.currency HAVING ROUND(SUM(e.amount), 2) <> 0
            ORDER BY e.transaction_id
            """
        )
        problems += [
            f"transaction {tx} does not balance in {cur}: entries sum to {_money(total)}" for tx, cur, total in cursor
        ]
        cursor.execute(
            """
            SELECT t.id, COUNT(e.id) FROM payments_ledgertransaction t
            LEFT JOIN payments_ledgerentry e ON e.transaction_id = t.id
            GROUP BY t.id HAVING COUNT(e.id) < 2 ORDER BY t.id
            """
        )
        problems += [f"transaction {tx} has {count} entries; a posting needs at least two" for tx, count in cursor]
        cursor.execute(
            """
            SELECT a.id, a.kind, a.currency, a.balance, ROUND(COALESCE(SUM(e.amount), 0), 2)
            FROM payments_ledgeraccount a LEFT JOIN payments_ledgerentry e ON e.account_id = a.id
            WHERE a.is_guarded
            GROUP BY a.id, a.kind, a.currency, a.balance
            HAVING ROUND(a.balance - COALESCE(SUM(e.amount), 0), 2) <> 0 OR a.balance < 0
            ORDER BY a.id
            """
        )
        problems += [
            f"account {pk} ({kind} {cur}) caches balance {_money(cached)} but its entries sum to {_money(summed)}"
            if _money(cached) != _money(summed)
            else f"account {pk} ({kind} {cur}) is negative: {_money(cached)}"
            for pk, kind, cur, cached, summed in cursor
        ]
        cursor.execute("SELECT id, kind, balance FROM payments_ledgeraccount WHERE NOT is_guarded AND balance <> 0")
        problems += [f"house account {pk} ({kind}) caches balance {bal}; it must stay 0" for pk, kind, bal in cursor]
    return problems + e_money_backing_discrepancies() + ledger_checks.ledger_check_discrepancies()


def _entry_sums(*, kind: str) -> dict[tuple[str, str], Decimal]:
    """Per (code, currency), the balance of the house accounts of `kind` (the sum of their entries)."""
    sums: dict[tuple[str, str], Decimal] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, a.currency, COALESCE(SUM(e.amount), 0)
            FROM payments_ledgeraccount a JOIN payments_ledgerentry e ON e.account_id = a.id
            WHERE a.kind = %s
            GROUP BY a.code, a.currency
            """,
            [kind],
        )
        for code, currency, total in cursor:
            sums[(code, currency)] = _money(total)
    return sums


def _added(*parts: dict[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    for part in parts:
        for key, amount in part.items():
            totals[key] = totals.get(key, Decimal("0")) + _money(amount)
    return totals


def e_money_backing_discrepancies() -> list[str]:
    """Whether every unit of e-money is backed by money a provider really holds for us.

    Off-platform money (a group's cash book and its counterpart) never shares a posting with e-money; each
    provider's clearing accounts equal what that provider settled in (succeeded charges) and paid out (succeeded
    withdrawals), less what staff reversed; in-flight equals the withdrawals still processing; codes another app
    registered (payments/backing: a bill provider) equal what its open and settled items report; loans receivable
    equal loans issued; a group's cash books equal their off-platform counterpart. A clearing account that belongs
    to no provider is money from nowhere. Staff funding through suspense is allowed and shows as suspense.
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        off_platform = tuple(str(kind) for kind in OFF_PLATFORM_KINDS)
        partners = tuple(str(kind) for kind in OFF_PLATFORM_PARTNERS)
        cursor.execute(
            f"""
            SELECT DISTINCT t.id, a.kind, a.code FROM payments_ledgertransaction t
            JOIN payments_ledgerentry e ON e.transaction_id = t.id
            JOIN payments_ledgeraccount a ON a.id = e.account_id
            WHERE a.kind NOT IN ({", ".join(["%s"] * len(partners))})
              AND EXISTS (
                SELECT 1 FROM payments_ledgerentry e2 JOIN payments_ledgeraccount a2 ON a2.id = e2.account_id
                WHERE e2.transaction_id = t.id AND a2.kind IN ({", ".join(["%s"] * len(off_platform))})
              )
            ORDER BY t.id
            """,  # noqa: S608 (placeholders only)
            [*partners, *off_platform],
        )
        problems += [
            f"transaction {tx} moves off-platform money into {kind}{' ' + code if code else ''}: cash is not e-money"
            for tx, kind, code in cursor
        ]
        for left, right, what in (
            ((AccountKind.LOAN_RECEIVABLE,), (AccountKind.LOANS_ISSUED,), "loans receivable and loans issued"),
            ((AccountKind.GROUP_CASH_BOOK,), (AccountKind.OFF_PLATFORM,), "cash books and their off-platform side"),
        ):
            cursor.execute(
                """
                SELECT a.currency, COALESCE(SUM(e.amount), 0) FROM payments_ledgeraccount a
                JOIN payments_ledgerentry e ON e.account_id = a.id
                WHERE a.kind IN (%s, %s) GROUP BY a.currency HAVING ROUND(SUM(e.amount), 2) <> 0
                """,
                [left[0], right[0]],
            )
            problems += [f"{what} do not match in {cur}: they differ by {_money(total)}" for cur, total in cursor]

    # payments' own providers, and those another app registered with the open items that back them (payments/backing)
    providers = {str(p) for p in Provider.values} | backing.registered_providers()
    clearing = _entry_sums(kind=AccountKind.PROVIDER_CLEARING)
    for (code, currency), total in sorted(clearing.items()):
        provider, _, side = code.partition(":")
        if provider not in providers or side not in ("in", "out"):
            problems.append(
                f"clearing account {code!r} ({currency}) belongs to no provider, yet holds {total}: "
                "money that no provider settled has reached e-money"
            )
    settled_in = {
        (f"{row['provider']}:in", row["currency"]): -_money(row["total"])
        for row in Charge.objects.filter(status=ChargeStatus.SUCCEEDED, ledger_transaction__reversed_by__isnull=True)
        .values("provider", "currency")
        .annotate(total=Sum("amount"))
    }
    paid_out = {
        (f"{row['provider']}:out", row["currency"]): _money(row["total"])
        for row in Withdrawal.objects.filter(
            status=WithdrawalStatus.SUCCEEDED, settle_transaction__reversed_by__isnull=True
        )
        .values("provider", "currency")
        .annotate(total=Sum("amount"))
    }
    in_flight = {
        (row["provider"], row["currency"]): _money(row["total"])
        for row in Withdrawal.objects.filter(
            status__in=[WithdrawalStatus.PROCESSING, WithdrawalStatus.HELD], hold_transaction__reversed_by__isnull=True
        )
        .values("provider", "currency")
        .annotate(total=Sum(F("amount") + F("fee")))
    }
    expected_clearing = _added(settled_in, paid_out, backing.expected_clearing())
    in_flight = _added(in_flight, backing.expected_in_flight())
    for key in sorted(set(expected_clearing) | {k for k in clearing if k[0].partition(":")[0] in providers}):
        ours, theirs = clearing.get(key, Decimal("0")), expected_clearing.get(key, Decimal("0"))
        if ours != theirs:
            problems.append(
                f"clearing account {key[0]!r} ({key[1]}) holds {ours}, but the provider's settled records say {theirs}"
            )
    held = _entry_sums(kind=AccountKind.IN_FLIGHT)
    for key in sorted(set(held) | set(in_flight)):
        ours, open_items = held.get(key, Decimal("0")), in_flight.get(key, Decimal("0"))
        if ours != open_items:
            problems.append(
                f"in-flight {key[0]!r} ({key[1]}) holds {ours}, but the payments still open (withdrawals processing, "
                f"registered sources' pending items) add up to {open_items}"
            )
    return problems


def charge_of(*, user_id: uuid.UUID, reference: str) -> Charge | None:
    return Charge.objects.filter(user_id=user_id, reference=reference).first()


def withdrawals_of(*, user_id: uuid.UUID) -> QuerySet[Withdrawal]:
    return Withdrawal.objects.filter(user_id=user_id).order_by("-created_at")


def bank_accounts_of(*, user_id: uuid.UUID) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(user_id=user_id)


def cards_of(*, user_id: uuid.UUID) -> QuerySet[Card]:
    return Card.objects.filter(user_id=user_id)


def bank_account_of(*, user_id: uuid.UUID, pk: uuid.UUID) -> BankAccount | None:
    return bank_accounts_of(user_id=user_id).filter(pk=pk).first()
