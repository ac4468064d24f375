"""Which tenant the current database transaction may see. On PostgreSQL every loyalty table's row-level security
policy (migration 0002) reads these settings, so a query that forgets its `tenant=` filter still sees only this
tenant's rows. Settings are transaction-local (`set_config(..., true)`): they vanish at commit, never leak to the
next request on a pooled connection, and must be set again by every request and every task, inside its
transaction."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


def _set(name: str, value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def enter_tenant(tenant_id: uuid.UUID | str | None, *, user_id: uuid.UUID | str | None = None) -> None:
    """Point the current transaction at one tenant (and the signed-in user, who may list their own tenants).
    Call inside `transaction.atomic()`."""
    if not connection.in_atomic_block:
        raise RuntimeError("A tenant is entered inside a transaction: its setting lasts until that transaction ends.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one round trip for the three settings
            cursor.execute(
                "SELECT set_config('app.tenant_id', %s, true), set_config('app.user_id', %s, true), "
                "set_config('app.all_tenants', '', true)",
                [str(tenant_id) if tenant_id else "", str(user_id) if user_id else ""],
            )


_SETTINGS = ("app.tenant_id", "app.user_id", "app.all_tenants")


@contextmanager
def _restoring() -> Iterator[None]:
    """Inside an outer transaction, put its settings back on the way out: they are transaction-local, and leaving a
    savepoint that changed them (rather than rolling it back) would leave the outer work seeing the inner tenant,
    or every tenant. On an error the savepoint's rollback undoes them by itself."""
    previous = None
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("COALESCE(current_setting(%s, true), '')" for _ in _SETTINGS), list(_SETTINGS)
            )
            previous = cursor.fetchone()
    yield
    if previous is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in _SETTINGS),
                [item for pair in zip(_SETTINGS, previous, strict=True) for item in pair],
            )


@contextmanager
def tenant_context(tenant_id: uuid.UUID | str | None, *, user_id: uuid.UUID | str | None = None) -> Iterator[None]:
    """A transaction that sees one tenant's rows: what every request and every task runs its loyalty work in."""
    with _restoring(), transaction.atomic():
        enter_tenant(tenant_id, user_id=user_id)
        yield


@contextmanager
def all_tenants() -> Iterator[None]:
    """A transaction that sees every tenant: for the admin's finance staff, for a job listing the tenants it then
    works through one by one (each in its own `tenant_context`), and for `ledger_check`. Never for a request from a
    tenant's side."""
    with _restoring(), transaction.atomic():
        _set("app.all_tenants", "on")
        yield
