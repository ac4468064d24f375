"""Checks of the books that `ledger_discrepancies` (and so `manage.py ledger_check`) runs after its own.

Two kinds: the ones `payments` can tell by itself from the ledger (here: loyalty budget money stays among loyalty
accounts), and the ones a higher app registers in its `AppConfig.ready`, because only it knows what its accounts
should hold (loyalty: a budget's reserved money equals its open issuances). A registered check is a callable that
returns a list of problems, one line each; an empty list means its part of the books is right.
"""

from collections.abc import Callable

from django.db import connection

from core.app_hooks import Registry
from payments.models import AccountKind

LedgerCheck = Callable[[], list[str]]

# A merchant's loyalty budget: what it put in, what is available, reserved for issued rewards, and spent on
# redeemed ones. It is the merchant's promise, not e-money: it never meets any other kind of account in a posting.
LOYALTY_KINDS = frozenset(
    {
        AccountKind.LOYALTY_FUNDING,
        AccountKind.LOYALTY_BUDGET,
        AccountKind.LOYALTY_RESERVED,
        AccountKind.LOYALTY_SPENT,
    }
)

_checks: Registry[LedgerCheck] = Registry("ledger check")


def register_ledger_check(name: str, check: LedgerCheck) -> None:
    """Add `check` to what `ledger_discrepancies` runs; `check()` returns its problems, one line each."""
    _checks.register(name, check)


def loyalty_isolation_discrepancies() -> list[str]:
    """Postings that mix loyalty budget money with any other kind of account (e-money, cash, income)."""
    loyalty = tuple(str(kind) for kind in LOYALTY_KINDS)
    marks = ", ".join(["%s"] * len(loyalty))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT t.id, a.kind, a.code FROM payments_ledgertransaction t
            JOIN payments_ledgerentry e ON e.transaction_id = t.id
            JOIN payments_ledgeraccount a ON a.id = e.account_id
            WHERE a.kind NOT IN ({marks})
              AND EXISTS (
                SELECT 1 FROM payments_ledgerentry e2 JOIN payments_ledgeraccount a2 ON a2.id = e2.account_id
                WHERE e2.transaction_id = t.id AND a2.kind IN ({marks})
              )
            ORDER BY t.id
            """,  # noqa: S608 (placeholders only)
            [*loyalty, *loyalty],
        )
        return [
            f"transaction {tx} moves loyalty budget money into {kind}{' ' + code if code else ''}: "
            "a merchant's budget is not e-money"
            for tx, kind, code in cursor
        ]


def registered_check_discrepancies() -> list[str]:
    """What every registered check reports, in registration order."""
    problems: list[str] = []
    for check in _checks.values():
        problems += check()
    return problems


def ledger_check_discrepancies() -> list[str]:
    """Everything this module checks: what `ledger_discrepancies` appends to its own findings."""
    return loyalty_isolation_discrepancies() + registered_check_discrepancies()
