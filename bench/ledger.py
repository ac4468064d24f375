"""Ledger postings per second on PostgreSQL: our posting service beside the same transaction in raw SQL.

Two shapes, each with 1 and 4 concurrent clients (separate processes, so Python's GIL does not cap them):
  hot      every posting debits one hot wallet (the worst case: every client queues on one row lock)
  disjoint each client moves money between its own wallets (no shared rows)
Each posting is the full work of `payments.services.post_transaction`: lock the guarded accounts in id order,
make sure the idempotency key is new, insert the transaction, insert two entries, update two cached balances, commit.
Two raw-SQL sides, through psycopg with no ORM:
  raw SQL     the plain way, one statement per step (lock, key lookup, insert, entries, two balance updates);
              the ratio ORM/raw against it is the issue's figure
  raw 1-stmt  the same statements as the service sends since issue 20 (lock, then one data-modifying WITH that
              inserts the transaction unless its key exists, its entries and the balances), so the ratio against
              it is what the service's Python costs

    createdb needs CREATEDB; the script makes (and drops first) its own database:
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench .venv/bin/python bench/ledger.py [seconds]
"""

# The project's modules are imported inside the functions: each script first points Django at its own database
# (`setup_django`), and models can only be imported after that.

import multiprocessing
import os
import sys
import time
import uuid
from pathlib import Path

from bench_environment import recreate_database

ROOT = Path(__file__).resolve().parents[1]
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench")
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
HOT_TARGETS = 50


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = BENCH_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def prepare(clients: int) -> dict:
    """Accounts for one run: a funded hot wallet with targets, and per client a funded pair of wallets."""
    from decimal import Decimal

    from payments.models import AccountKind, TransactionKind
    from payments.services import Leg, get_house_account, get_owned_account, post_transaction

    run = uuid.uuid4().hex[:8]
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")

    def funded(owner: str):
        account = get_owned_account(kind=AccountKind.USER_WALLET, owner_type="bench", owner_id=owner, currency="KES")
        post_transaction(
            kind=TransactionKind.ADJUSTMENT,
            legs=[Leg(suspense, Decimal("-100000000.00")), Leg(account, Decimal("100000000.00"))],
            idempotency_key=f"bench-fund:{owner}",
        )
        return account.pk

    hot = funded(f"{run}-hot")
    targets = [funded(f"{run}-t{i}") for i in range(HOT_TARGETS)]
    pairs = [(funded(f"{run}-c{c}a"), funded(f"{run}-c{c}b")) for c in range(clients)]
    return {"hot": hot, "targets": targets, "pairs": pairs}


def pair_for(shape: str, client: int, accounts: dict, count: int) -> tuple[int, int]:
    """The `count`th posting's (source, target) ids: the hot wallet to the next target, or the client's own pair
    back and forth."""
    if shape == "hot":
        return accounts["hot"], accounts["targets"][count % HOT_TARGETS]
    a, b = accounts["pairs"][client]
    return (a, b) if count % 2 == 0 else (b, a)


def orm_worker(shape: str, client: int, accounts: dict, deadline: float, out) -> None:
    from decimal import Decimal

    from payments.models import LedgerAccount, TransactionKind
    from payments.services import Leg, post_transaction

    by_id = {
        a.pk: a
        for a in LedgerAccount.objects.filter(
            pk__in=[accounts["hot"], *accounts["targets"], *accounts["pairs"][client]]
        )
    }
    one = Decimal("1.00")
    count = 0
    while time.monotonic() < deadline:
        source_id, target_id = pair_for(shape, client, accounts, count)
        source, target = by_id[source_id], by_id[target_id]
        post_transaction(
            kind=TransactionKind.TRANSFER,
            legs=[Leg(source, -one), Leg(target, one)],
            idempotency_key=f"bench:{client}:{uuid.uuid4().hex}",
        )
        count += 1
    out.put(count)


RAW_STATEMENTS = {
    "lock": "SELECT id, balance FROM payments_ledgeraccount WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
    "key": "SELECT id FROM payments_ledgertransaction WHERE idempotency_key = %s LIMIT 1",
    "tx": (
        "INSERT INTO payments_ledgertransaction (kind, idempotency_key, reference, memo, metadata) "
        "VALUES ('transfer', %s, '', '', '{}') RETURNING id"
    ),
    "entries": (
        "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount, balance_after) "
        "VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)"
    ),
    "balance": "UPDATE payments_ledgeraccount SET balance = %s WHERE id = %s",
}


def raw_worker(shape: str, client: int, accounts: dict, deadline: float, out) -> None:
    """The plain way: one statement per step."""

    def post(cur, key: str, source: int, target: int, new_source, new_target, one) -> None:
        cur.execute(RAW_STATEMENTS["key"], [key])
        tx = cur.execute(RAW_STATEMENTS["tx"], [key]).fetchone()[0]
        cur.execute(RAW_STATEMENTS["entries"], [tx, source, -one, new_source, tx, target, one, new_target])
        cur.execute(RAW_STATEMENTS["balance"], [new_source, source])
        cur.execute(RAW_STATEMENTS["balance"], [new_target, target])

    run_raw(post, "raw", shape, client, accounts, deadline, out)


ONE_STATEMENT = (
    "WITH new_transaction AS ("
    "INSERT INTO payments_ledgertransaction (kind, idempotency_key, reference, memo, metadata) "
    "VALUES ('transfer', %s, '', '', '{}') ON CONFLICT (idempotency_key) DO NOTHING RETURNING id), "
    "new_entries AS (INSERT INTO payments_ledgerentry (transaction_id, account_id, amount, balance_after) "
    "SELECT new_transaction.id, leg.account_id, leg.amount, leg.balance_after FROM new_transaction, "
    "(VALUES (0, %s::bigint, %s::numeric, %s::numeric), (1, %s::bigint, %s::numeric, %s::numeric)) "
    "AS leg (position, account_id, amount, balance_after) ORDER BY leg.position), "
    "new_balances AS (UPDATE payments_ledgeraccount AS account SET balance = new.balance FROM new_transaction, "
    "(VALUES (%s::bigint, %s::numeric), (%s::bigint, %s::numeric)) AS new (id, balance) WHERE account.id = new.id) "
    "SELECT id FROM new_transaction"
)


def raw_one_statement_worker(shape: str, client: int, accounts: dict, deadline: float, out) -> None:
    """The service's statements since issue 20: the lock, then one data-modifying WITH."""

    def post(cur, key: str, source: int, target: int, new_source, new_target, one) -> None:
        params = [key, source, -one, new_source, target, one, new_target, source, new_source, target, new_target]
        if cur.execute(ONE_STATEMENT, params).fetchone() is None:
            raise RuntimeError("a fresh key was taken")

    run_raw(post, "raw1", shape, client, accounts, deadline, out)


def run_raw(post, label: str, shape: str, client: int, accounts: dict, deadline: float, out) -> None:
    """Postings through psycopg alone until `deadline`: lock both accounts, then `post` the rest, commit."""
    from decimal import Decimal

    import psycopg

    one = Decimal("1.00")
    count = 0
    with psycopg.connect(BENCH_URL) as conn:
        while time.monotonic() < deadline:
            source, target = pair_for(shape, client, accounts, count)
            with conn.transaction(), conn.cursor() as cur:
                balances = dict(cur.execute(RAW_STATEMENTS["lock"], [sorted([source, target])]).fetchall())
                new_source, new_target = balances[source] - one, balances[target] + one
                post(cur, f"{label}:{client}:{uuid.uuid4().hex}", source, target, new_source, new_target, one)
            count += 1
    out.put(count)


def measure(worker, shape: str, clients: int) -> float:
    accounts = prepare(clients)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    ready = context.Barrier(clients)
    processes = [context.Process(target=_timed, args=(worker, shape, c, accounts, ready, out)) for c in range(clients)]
    for process in processes:
        process.start()
    total = sum(out.get() for _ in processes)
    for process in processes:
        process.join()
    return total / SECONDS


def _timed(worker, shape, client, accounts, ready, out) -> None:
    """Every client sets up first (imports, connection), then all start together and run for SECONDS."""
    if worker is orm_worker:
        setup_django()
    ready.wait()
    worker(shape, client, accounts, time.monotonic() + SECONDS, out)


def main() -> None:
    recreate_database(BENCH_URL)
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}; {SECONDS:.0f} s per run")
    print(
        f"{'shape':9s} {'clients':>7s} {'ORM /s':>9s} {'raw SQL /s':>11s} {'ORM/raw':>8s}"
        f" {'raw 1-stmt /s':>14s} {'ORM/raw 1-stmt':>15s}"
    )
    for shape in ("hot", "disjoint"):
        for clients in (1, 4):
            orm = measure(orm_worker, shape, clients)
            raw = measure(raw_worker, shape, clients)
            one = measure(raw_one_statement_worker, shape, clients)
            print(f"{shape:9s} {clients:7d} {orm:9.0f} {raw:11.0f} {orm / raw:8.2f} {one:14.0f} {orm / one:15.2f}")
    from payments.selectors import ledger_discrepancies

    problems = ledger_discrepancies()
    print("ledger_check:", "clean" if not problems else f"{len(problems)} discrepancies")


if __name__ == "__main__":
    main()
