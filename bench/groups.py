"""The nightly penalty and payout jobs over N active groups of 10 members on PostgreSQL, at N/10 and at N groups.

Each size gets its own process and a fresh database (dropped, made, migrated, filled in bulk, VACUUM ANALYZE; that
setup is timed apart). Every group is weekly, KES 1,000 a cycle, cycle 1 due 5 days before the bench day
(2026-11-23), 2 days' grace, a flat daily penalty of 50 capped at 120 per contribution, a 2 % service fee, the whole
10-cycle schedule. Even groups: `deposit_covers`, deposits of 1,000 paid, members 9 and 10 unpaid in cycle 1 (their
deposits cover them at payout). Odd groups: `payout_waits`, only the recipient unpaid (netted from the payout with
their penalties). Paid shares and deposits reach the pot/escrows by one balanced setup posting per group from
SUSPENSE; every member has a wallet. Then, with DEBUG off: the penalty job (per group, as the Celery task:
fetch the group, `assess_penalties`), again (must add nothing), the payout job (`run_payouts`), again (nothing to
pay: the nightly steady state), and `ledger_check`. The plain way: the same penalty work as one set-based SQL
statement (JIT off), run first and rolled back; its rows must equal the service's.

    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench .venv/bin/python bench/groups.py [groups]
"""

# The project's modules are imported inside the functions: each script first points Django at its own database
# (`setup_django`), and models can only be imported after that.

import multiprocessing
import os
import platform
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from bench_environment import recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose groups.py would shadow the `groups` app
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench")
GUARDED = {"currency": "KES", "is_guarded": True}
GROUPS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
TODAY = date(2026, 11, 23)
MEMBERS, CHUNK, AMOUNT = 10, 500, Decimal("1000.00")

PLAIN_PENALTIES = """
WITH overdue AS (
    SELECT c.id, c.membership_id, c.status, c.due_date, g.grace_days, g.penalty_kind, g.penalty_recurrence,
           g.penalty_cap, CASE g.penalty_kind WHEN 'flat' THEN g.penalty_amount
                               ELSE ROUND(c.amount * g.penalty_amount / 100, 2) END AS unit
    FROM contributions_contribution c
    JOIN contributions_cycle y ON y.id = c.cycle_id JOIN groups_savingsgroup g ON g.id = y.group_id
    WHERE g.status = 'active' AND c.status IN ('pending', 'late', 'covered')
      AND c.due_date <= %(today)s::date - (g.grace_days + 1)
    FOR NO KEY UPDATE OF c
), marked AS (
    UPDATE contributions_contribution c SET status = 'late' FROM overdue o WHERE c.id = o.id AND o.status = 'pending'
)
INSERT INTO contributions_penalty (kind, contribution_id, membership_id, period, reason, amount, status, settled_by,
                                   created_at)
SELECT 'late_contribution', o.id, o.membership_id, p.period, '', a.amount, 'owed', '', now()
FROM overdue o
CROSS JOIN LATERAL generate_series(1, CASE WHEN o.penalty_recurrence = 'once' THEN 1
                                           ELSE %(today)s::date - o.due_date - o.grace_days END) AS p(period)
CROSS JOIN LATERAL (SELECT LEAST(o.unit, COALESCE(o.penalty_cap - o.unit * (p.period - 1), o.unit)) AS amount) a
WHERE o.penalty_kind <> 'none' AND a.amount > 0
ON CONFLICT DO NOTHING
"""


def setup_django() -> None:
    os.environ["DATABASE_URL"] = BENCH_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


RULES = dict(kind="chama", currency="KES", contribution_amount=AMOUNT, frequency="weekly", member_limit=MEMBERS)
RULES |= dict(start_date=TODAY - timedelta(days=5), grace_days=2, status="active", service_fee_percent=Decimal(2))
RULES |= dict(penalty_kind="flat", penalty_amount=Decimal(50), penalty_recurrence="daily", penalty_cap=Decimal(120))
POLICIES = [dict(default_policy="deposit_covers", security_deposit=AMOUNT), dict(default_policy="payout_waits")]


def unpaid_in(group) -> set[int]:
    """Cycle 1's unpaid members: 9 and 10, whose deposits cover them at payout, or the recipient (netted)."""
    return {8, 9} if group.security_deposit else {0}


def build(n: int) -> None:
    """n started groups with their whole schedule, cycle 1 overdue; bulk inserts, one transaction per CHUNK."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from contributions.models import Contribution, Cycle
    from contributions.services import due_date_for
    from groups.models import Membership, SavingsGroup
    from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
    from payments.services import get_house_account

    def accounts(kind: str, owner_type: str, owners, balance=lambda owner: owner.deposit_paid) -> list:
        return LedgerAccount.objects.bulk_create(
            LedgerAccount(kind=kind, owner_type=owner_type, owner_id=str(o.pk), balance=balance(o), **GUARDED)
            for o in owners
        )

    def postings(kind: str, what: str, groups) -> list:
        return LedgerTransaction.objects.bulk_create(
            LedgerTransaction(kind=kind, idempotency_key=f"bench-{what}:{g.pk}", reference=str(g.pk), memo=what)
            for g in groups
        )

    suspense = get_house_account(kind="suspense", currency="KES")
    now = timezone.now()
    for start in range(0, n, CHUNK):
        ids = range(start, min(n, start + CHUNK))
        with transaction.atomic():
            users = User.objects.bulk_create(User(email=f"g{i}m{j}@bench.invalid") for i in ids for j in range(MEMBERS))
            groups = SavingsGroup.objects.bulk_create(
                SavingsGroup(
                    **RULES,
                    **POLICIES[i % 2],
                    name=f"Bench {i}",
                    invite_code=f"B{i:015d}",
                    started_at=now,
                    created_by=users[k * MEMBERS],
                )
                for k, i in enumerate(ids)
            )
            members = Membership.objects.bulk_create(
                Membership(
                    group=g,
                    user=users[k * MEMBERS + j],
                    role="member" if j else "chair",
                    **({"dues_paid_at": now, "deposit_paid": AMOUNT} if g.security_deposit else {}),
                )
                for k, g in enumerate(groups)
                for j in range(MEMBERS)
            )
            cycles = Cycle.objects.bulk_create(
                Cycle(group=g, number=c, due_date=due_date_for(g, c), recipient=members[k * MEMBERS + c - 1])
                for k, g in enumerate(groups)
                for c in range(1, MEMBERS + 1)
            )
            pots = accounts("group_pot", "group", groups, lambda g: AMOUNT * (MEMBERS - len(unpaid_in(g))))
            escrows = accounts("group_deposit_escrow", "membership", [m for m in members if m.deposit_paid])
            accounts("user_wallet", "user", users, lambda user: 0)
            shares = postings("contribution", "paid shares of cycle 1", groups)
            entries = []
            for pot, tx in zip(pots, shares, strict=True):
                entries += [
                    LedgerEntry(transaction=tx, account=suspense, amount=-pot.balance),
                    LedgerEntry(transaction=tx, account=pot, amount=pot.balance, balance_after=pot.balance),
                ]
            holds = postings("deposit_hold", "security deposits", [g for g in groups if g.security_deposit])
            for d, tx in enumerate(holds):
                held = escrows[d * MEMBERS : (d + 1) * MEMBERS]
                entries.append(LedgerEntry(transaction=tx, account=suspense, amount=-sum(a.balance for a in held)))
                entries += [
                    LedgerEntry(transaction=tx, account=a, amount=a.balance, balance_after=a.balance) for a in held
                ]
            LedgerEntry.objects.bulk_create(entries, batch_size=5000)
            contributions = []
            for k, (g, tx) in enumerate(zip(groups, shares, strict=True)):
                paid = {"status": "paid", "settled_by": "wallet", "paid_at": now, "ledger_transaction": tx}
                for j, m in enumerate(members[k * MEMBERS : (k + 1) * MEMBERS]):
                    for c in cycles[k * MEMBERS : (k + 1) * MEMBERS]:
                        done = paid if c.number == 1 and j not in unpaid_in(g) else {}
                        contributions.append(
                            Contribution(cycle=c, membership=m, amount=AMOUNT, due_date=c.due_date, **done)
                        )
            Contribution.objects.bulk_create(contributions, batch_size=5000)


def each_group(group_ids, job) -> tuple[float, int]:
    """Run `job(group)` for every group as its task would (fetch the group, call the service): seconds, sum."""
    from groups.models import SavingsGroup

    done, began = 0, time.perf_counter()
    for group_id in group_ids:
        done += job(SavingsGroup.objects.filter(pk=group_id).first())
    return time.perf_counter() - began, done


def run_size(n: int, out) -> None:
    recreate_database(BENCH_URL)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from contributions.jobs import groups_due
    from contributions.services import assess_penalties, run_payouts
    from payments.selectors import ledger_discrepancies

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    build(n)
    cursor = connection.cursor()
    cursor.execute("VACUUM ANALYZE")
    print(f"  {n:,} groups: migrate + bulk setup + VACUUM ANALYZE {time.perf_counter() - began:.0f} s", flush=True)
    settings.DEBUG = False  # no per-query log while measuring, as on the workers
    ids = groups_due(job="penalties", every_zone=True)  # what the dispatcher would queue
    assert len(ids) == n
    totals = "SELECT count(*), sum(amount) FROM contributions_penalty"
    with transaction.atomic():  # the plainest way, then rolled back: JIT off (it costs ~0.4 s on a misestimate)
        cursor.execute("SET LOCAL jit = off")
        began = time.perf_counter()
        cursor.execute(PLAIN_PENALTIES, {"today": TODAY})
        plain = time.perf_counter() - began
        plain_rows = cursor.execute(totals).fetchone()
        transaction.set_rollback(True)
    times = {"penalties, first run": each_group(ids, lambda g: assess_penalties(group=g, today=TODAY))}
    service_rows = cursor.execute(totals).fetchone()
    times["penalties, second run"] = each_group(ids, lambda g: assess_penalties(group=g, today=TODAY))
    again_rows = cursor.execute(totals).fetchone()
    times["payouts, first run"] = each_group(ids, lambda g: len(run_payouts(group=g, today=TODAY)))
    times["payouts, second run"] = each_group(ids, lambda g: len(run_payouts(group=g, today=TODAY)))
    times["penalties as one SQL statement"] = (plain, plain_rows[0])
    problems = ledger_discrepancies()
    same = "same" if plain_rows == service_rows else "DIFFERENT"
    paid_out = cursor.execute("SELECT count(*) FROM contributions_payout").fetchone()[0]
    checks = [
        f"penalties after the first/second run {service_rows[0]:,}/{again_rows[0]:,}",
        f"plain SQL made {plain_rows[0]:,} totalling {plain_rows[1]:,}, the service {service_rows[1]:,} ({same})",
        f"groups paid out {paid_out:,}",
        "ledger_check " + ("clean" if not problems else f"{len(problems)} discrepancies, e.g. {problems[0]}"),
    ]
    out.put({"n": n, "pg": cursor.execute("SHOW server_version").fetchone()[0], "times": times, "checks": checks})


def main() -> None:
    context = multiprocessing.get_context("spawn")
    results = []
    for n in (GROUPS // 10, GROUPS):  # a fresh process and database per size
        out = context.Queue()
        process = context.Process(target=run_size, args=(n, out))
        process.start()
        results.append(out.get())
        process.join()
    small, large = results
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{os.cpu_count()} CPUs (load {load}), Python {platform.python_version()}, PostgreSQL {large['pg']}")
    print(f"{'':32s} {small['n']:>10,} groups      {large['n']:>10,} groups")
    print(f"{'job':32s} {'s':>8s} {'ms/group':>9s}  {'s':>8s} {'ms/group':>9s} {'rows':>8s}  per-group ratio")
    for job, (seconds, rows) in large["times"].items():
        per_small, per_large = 1000 * small["times"][job][0] / small["n"], 1000 * seconds / large["n"]
        print(
            f"{job:32s} {small['times'][job][0]:8.2f} {per_small:9.2f}  {seconds:8.2f} {per_large:9.2f} {rows:8,}"
            f"  {per_large / per_small:.2f}"
        )
    for r in results:
        service, plain = r["times"]["penalties, first run"][0], r["times"]["penalties as one SQL statement"][0]
        print(f"{r['n']:,} groups: penalties service/plain SQL {service / plain:.0f}x; " + "; ".join(r["checks"]))


if __name__ == "__main__":
    main()
