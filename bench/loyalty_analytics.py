"""Merchant analytics at a million events: `loyalty.services.analytics.daily_figures` for one tenant over 30 and 365
days, cold (no `DailyStats` roll-up yet: every day counted from the tables, then stored) and warm (the roll-up filled:
only today counted live), beside the plain way, one direct GROUP BY over the raw tables for the same range. The
issue's target: under 200 ms at 1M events.

World: one tenant (Africa/Nairobi, KES) with CUSTOMERS customers, EVENTS events, ISSUANCES issuances (30 % points
rewards, redeemed as they are given; of the rest about 57 % redeemed within a week: ~40,000 redemptions) and their
transitions, all spread uniformly over the last 365 days. Built with `INSERT … SELECT generate_series` inside the
tenant's transaction (row-level security's WITH CHECK holds), then VACUUM ANALYZE, as in a live database.

Measured in this process, connected as the app role (`pamoja`, no BYPASSRLS: row-level security applies), each call
in its own tenant transaction as a request makes it; the median of RUNS runs (a cold run first deletes the tenant's
`DailyStats`). PostgreSQL's buffer cache is warm in both cases: "cold" is about the roll-up, not the disk. Then the
same through the view (`GET …/analytics/`, a signed-in viewer, DRF and serialization included, Django's test client),
and the nightly job's part for this tenant (its first night, then a usual one).

    createdb needs CREATEDB; the script makes (and drops first) its own database:
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench_analytics \
        .venv/bin/python bench/loyalty_analytics.py [--reuse]
"""

# The project's modules are imported inside the functions: the script first points Django at its own database
# (`setup_django`), and models can only be imported after that.

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench_environment import production_environment, recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose loyalty.py would shadow the `loyalty` app
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench_analytics")
CUSTOMERS = 50_000
EVENTS = 1_000_000
ISSUANCES = 100_000
DAYS = 365
RUNS = 7
REUSE = "--reuse" in sys.argv  # the world of the last run, in the same database (no new build)
TARGET_MS = 200.0
ZONE = "Africa/Nairobi"
# (name, reward, share of issuances in tenths); points rewards are redeemed as they are given
RULES = [
    ("Points on every purchase", "points_10", 2),
    ("Welcome", "points_50", 1),
    ("Big spender", "kes_100", 2),
    ("Weekend happy hour", "pct_10", 2),
    ("Coffee promo", "coffee", 2),
    ("Birthday treat", "pct_10", 1),
]
REWARDS: dict[str, dict[str, Any]] = {
    "points_10": {"name": "10 points", "reward_type": "points", "value": 10, "cost": "1.00"},
    "points_50": {"name": "50 points", "reward_type": "points", "value": 50, "cost": "5.00"},
    "pct_10": {
        "name": "10% off",
        "reward_type": "discount",
        "discount_kind": "percent",
        "value": "10",
        "cost": "25.00",
    },
    "kes_100": {
        "name": "KES 100 off",
        "reward_type": "discount",
        "discount_kind": "amount",
        "value": "100.00",
        "cost": "100.00",
    },
    "coffee": {
        "name": "A free coffee",
        "reward_type": "discount",
        "discount_kind": "amount",
        "value": "150.00",
        "cost": "60.00",
    },
}
DISCOUNT_REDEEMED = 0.5715  # of 70,000 discounts: ~40,000 redemptions


def configure_environment(run_dir: str) -> None:
    production_environment(database_url=BENCH_URL, run_dir=run_dir, LOG_LEVEL="WARNING")


def setup_django() -> None:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a bench
    django.setup()


# --- the world -------------------------------------------------------------------------------------------------------


def build() -> tuple[Any, Any, dict[str, float]]:
    """The tenant and its history; returns (tenant, owner, seconds per step)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from loyalty.services.budgets import create_budget
    from loyalty.services.rewards import create_reward
    from loyalty.services.rules import create_rule
    from loyalty.services.tenants import create_tenant
    from loyalty.tenancy import tenant_context

    seconds: dict[str, float] = {}
    owner = User.objects.create(email="analytics-bench@bench.invalid", is_verified=True)
    tenant = create_tenant(creator=owner, name="Bench merchant", currency="KES", time_zone=ZONE)
    now = timezone.now()
    with tenant_context(tenant.pk):
        budget = create_budget(
            tenant=tenant, name="Rewards", total_amount="100000000.00", currency="KES", period="none", hard_cap=True
        )
        rewards = {code: create_reward(tenant=tenant, budget_id=budget.pk, **spec) for code, spec in REWARDS.items()}
        slots = []  # one (rule, reward, points?, cost) per tenth of the issuances
        for i, (name, code, tenths) in enumerate(RULES):
            rule = create_rule(
                tenant=tenant,
                name=name,
                conditions={">=": [{"var": "event.data.amount"}, 100 * i]},
                reward_id=rewards[code].pk,
            )
            reward = rewards[code]
            slots += [(rule.pk, reward.pk, reward.reward_type == "points", reward.cost)] * tenths
        assert len(slots) == 10
        params: dict[str, Any] = {"t": str(tenant.pk), "now": now, "days": f"{DAYS} days"}
        with connection.cursor() as cursor:
            began = time.monotonic()
            cursor.execute(
                "INSERT INTO loyalty_customer (tenant_id, phone, status, channel, attributes, points, language, "
                "device_id, created_at, updated_at) "
                "SELECT %(t)s, '+2547' || lpad(g::text, 8, '0'), 'active', 'api', '{}', 0, 'en', '', ts, ts "
                "FROM (SELECT g, %(now)s - random() * %(days)s::interval AS ts "
                "FROM generate_series(1, %(n)s) g) s",
                {**params, "n": CUSTOMERS},
            )
            cursor.execute("SELECT min(id), max(id), count(*) FROM loyalty_customer WHERE tenant_id = %(t)s", params)
            first_customer, last_customer, count = cursor.fetchone()
            assert last_customer - first_customer + 1 == count == CUSTOMERS
            seconds["customers"] = time.monotonic() - began

            began = time.monotonic()
            cursor.execute(
                "INSERT INTO loyalty_event (tenant_id, customer_id, event_type, data, idempotency_key, occurred_at, "
                "received_at, answer) "
                "SELECT %(t)s, %(c0)s + (random() * %(cn)s)::bigint, "
                "CASE WHEN random() < 0.7 THEN 'purchase' ELSE 'visit' END, "
                "jsonb_build_object('amount', (50 + random() * 950)::int, 'channel', 'pos'), 'bench-' || g, ts, ts, "
                "'{}' FROM (SELECT g, %(now)s - random() * %(days)s::interval AS ts "
                "FROM generate_series(1, %(n)s) g) s",
                {**params, "c0": first_customer, "cn": CUSTOMERS - 1, "n": EVENTS},
            )
            seconds["events"] = time.monotonic() - began

            began = time.monotonic()
            values = ", ".join(
                f"({n}, {int(rule)}, {int(reward)}, {bool(points)}, {Decimal(cost)}::numeric)"
                for n, (rule, reward, points, cost) in enumerate(slots)
            )
            cursor.execute(
                f"WITH slot(n, rule_id, reward_id, points, cost) AS (VALUES {values}), "  # noqa: S608 (our own values)
                "src AS (SELECT g, %(now)s - random() * %(days)s::interval AS ts, random() AS r, "
                "%(c0)s + (random() * %(cn)s)::bigint AS customer_id FROM generate_series(1, %(n)s) g) "
                "INSERT INTO loyalty_issuance (tenant_id, customer_id, reward_id, rule_id, event_id, state, cost, "
                "code, voucher_id, expires_at, created_at, updated_at) "
                "SELECT %(t)s, customer_id, slot.reward_id, slot.rule_id, NULL, "
                "CASE WHEN slot.points OR r < %(redeemed)s THEN 'redeemed' ELSE 'issued' END, slot.cost, "
                "CASE WHEN slot.points THEN '' ELSE lpad((g %% 1000000)::text, 6, '0') END, NULL, NULL, ts, ts "
                "FROM src JOIN slot ON slot.n = src.g %% 10",
                {**params, "c0": first_customer, "cn": CUSTOMERS - 1, "n": ISSUANCES, "redeemed": DISCOUNT_REDEEMED},
            )
            cursor.execute(
                "INSERT INTO loyalty_issuancetransition (tenant_id, issuance_id, from_state, to_state, actor, reason, "
                "at) "
                "SELECT i.tenant_id, i.id, s.from_state, s.to_state, 'rule:' || i.rule_id, s.reason, "
                "CASE WHEN s.to_state <> 'redeemed' OR r.reward_type = 'points' THEN i.created_at "
                "ELSE least(i.created_at + random() * interval '7 days', %(now)s) END "
                "FROM loyalty_issuance i JOIN loyalty_reward r ON r.id = i.reward_id "
                "CROSS JOIN (VALUES ('', 'reserved', ''), ('reserved', 'issued', ''), "
                "('issued', 'redeemed', 'redeemed')) s(from_state, to_state, reason) "
                "WHERE i.tenant_id = %(t)s AND (s.to_state <> 'redeemed' OR i.state = 'redeemed')",
                params,
            )
            seconds["issuances and transitions"] = time.monotonic() - began
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.monotonic() - began
    return tenant, owner, seconds


def counts(tenant: Any) -> dict[str, int]:
    from loyalty.models import Customer, Event, Issuance, IssuanceTransition, RewardType
    from loyalty.tenancy import tenant_context

    with tenant_context(tenant.pk):
        redeemed = IssuanceTransition.objects.filter(tenant=tenant, to_state="redeemed")
        return {
            "customers": Customer.objects.filter(tenant=tenant).count(),
            "events": Event.objects.filter(tenant=tenant).count(),
            "issuances": Issuance.objects.filter(tenant=tenant).count(),
            "transitions": IssuanceTransition.objects.filter(tenant=tenant).count(),
            "redemptions (points excluded)": redeemed.exclude(issuance__reward__reward_type=RewardType.POINTS).count(),
        }


# --- timing ----------------------------------------------------------------------------------------------------------

# The plain way: one statement, each table grouped by the local day over the range, joined up by day.
PLAIN = """
SELECT day, sum(events), sum(customers), sum(issuances), sum(redemptions), sum(budget_used) FROM (
    SELECT (occurred_at AT TIME ZONE %(zone)s)::date AS day, count(*) AS events, 0 AS customers, 0 AS issuances,
           0 AS redemptions, 0 AS budget_used
      FROM loyalty_event WHERE tenant_id = %(t)s AND occurred_at >= %(since)s AND occurred_at < %(until)s GROUP BY 1
    UNION ALL
    SELECT (created_at AT TIME ZONE %(zone)s)::date, 0, count(*), 0, 0, 0
      FROM loyalty_customer WHERE tenant_id = %(t)s AND created_at >= %(since)s AND created_at < %(until)s GROUP BY 1
    UNION ALL
    SELECT (created_at AT TIME ZONE %(zone)s)::date, 0, 0, count(*), 0, 0
      FROM loyalty_issuance WHERE tenant_id = %(t)s AND created_at >= %(since)s AND created_at < %(until)s GROUP BY 1
    UNION ALL
    SELECT (x.at AT TIME ZONE %(zone)s)::date, 0, 0, 0, count(*) FILTER (WHERE r.reward_type <> 'points'), sum(i.cost)
      FROM loyalty_issuancetransition x JOIN loyalty_issuance i ON i.id = x.issuance_id
      JOIN loyalty_reward r ON r.id = i.reward_id
     WHERE x.tenant_id = %(t)s AND x.to_state = 'redeemed' AND x.at >= %(since)s AND x.at < %(until)s GROUP BY 1
) counted GROUP BY day ORDER BY day
"""


def median_ms(call: Any, runs: int, before: Any = None) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), times


def measure(tenant: Any, owner: Any) -> list[dict[str, Any]]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from loyalty.models import DailyStats
    from loyalty.services.analytics import _bounds, daily_figures, tenant_today, tenant_zone
    from loyalty.tenancy import tenant_context

    today = tenant_today(tenant)
    client = APIClient()
    client.force_authenticate(user=owner)
    path = f"/api/v1/loyalty/tenants/{tenant.pk}/analytics/"

    def forget() -> None:
        with tenant_context(tenant.pk):
            DailyStats.objects.filter(tenant=tenant).delete()

    rows = []
    for days in (30, 365):
        start = today - timedelta(days=days - 1)

        def ours(start: Any = start) -> Any:
            with tenant_context(tenant.pk):
                return daily_figures(tenant=tenant, start=start, end=today)

        since, until = _bounds(tenant_zone(tenant), start, today)

        def plain(since: Any = since, until: Any = until) -> Any:
            with tenant_context(tenant.pk), connection.cursor() as cursor:
                cursor.execute(PLAIN, {"zone": tenant.time_zone, "t": str(tenant.pk), "since": since, "until": until})
                return cursor.fetchall()

        def view(start: Any = start) -> Any:
            answer = client.get(path, {"from": str(start), "to": str(today)})
            assert answer.status_code == 200, answer.content
            return answer

        forget()
        reset_queries()  # the log keeps at most 9,000 statements; a request (the view's) empties it
        with CaptureQueriesContext(connection) as captured:
            figures = ours()
        cold_queries = len(captured)
        with CaptureQueriesContext(connection) as captured:
            again = ours()
        warm_queries = len(captured)
        assert [(d.day, d.events, d.issuances, d.redemptions) for d in figures.days] == [
            (d.day, d.events, d.issuances, d.redemptions) for d in again.days
        ]
        straight = {row[0]: row for row in plain()}
        for d in figures.days:  # the plain way's figures are ours
            want = straight.get(d.day)
            got = (d.events, d.new_customers, d.issuances, d.redemptions, d.budget_used)
            assert got == (tuple(want[1:]) if want else (0, 0, 0, 0, 0)), (d, want)

        plain_ms, _ = median_ms(plain, RUNS)
        cold_ms, cold_all = median_ms(ours, RUNS, before=forget)
        ours()  # the roll-up filled
        warm_ms, warm_all = median_ms(ours, RUNS)
        forget()
        view_cold_ms, _ = median_ms(view, RUNS, before=forget)
        view()
        view_warm_ms, _ = median_ms(view, RUNS)
        rows.append(
            {
                "days": days,
                "events": figures.totals.events,
                "issuances": figures.totals.issuances,
                "redemptions": figures.totals.redemptions,
                "cold_ms": cold_ms,
                "cold_all": cold_all,
                "warm_ms": warm_ms,
                "warm_all": warm_all,
                "plain_ms": plain_ms,
                "view_cold_ms": view_cold_ms,
                "view_warm_ms": view_warm_ms,
                "cold_queries": cold_queries,
                "warm_queries": warm_queries,
            }
        )
    return rows


def nightly(tenant: Any) -> tuple[float, float]:
    """The nightly job's part for this tenant: the first night (no roll-up: the last 366 days), then a usual night
    (yesterday and the day before); milliseconds each, the median of RUNS."""
    from loyalty.models import DailyStats
    from loyalty.services.analytics import roll_up_recent_days
    from loyalty.tenancy import tenant_context

    def forget() -> None:
        with tenant_context(tenant.pk):
            DailyStats.objects.filter(tenant=tenant).delete()

    def job() -> None:
        with tenant_context(tenant.pk):
            roll_up_recent_days(tenant=tenant)

    first, _ = median_ms(job, RUNS, before=forget)
    usual, _ = median_ms(job, RUNS)
    return first, usual


def main() -> None:
    run_dir = tempfile.mkdtemp(prefix="analytics-bench-")
    configure_environment(run_dir)
    if not REUSE:
        recreate_database(BENCH_URL)
    setup_django()
    import django
    import psycopg
    from django.core.management import call_command
    from django.db import connection

    from loyalty.models import Tenant
    from loyalty.tenancy import all_tenants

    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    began = time.monotonic()
    if REUSE:
        with all_tenants():
            tenant = Tenant.objects.select_related("created_by").get()
        owner, seconds = tenant.created_by, {"reused": 0.0}
    else:
        call_command("migrate", verbosity=0)
        tenant, owner, seconds = build()
    built_s = time.monotonic() - began
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_user, current_setting('jit')")
        pg, role, jit = cursor.fetchone()
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, load average {load_before} before the build; Python "
        f"{platform.python_version()}, Django {django.get_version()}, psycopg {psycopg.__version__}, PostgreSQL {pg} "
        f"(jit {jit}), connected as {role}"
    )
    print(
        f"world built in {built_s:.1f} s ("
        + ", ".join(f"{name} {s:.1f} s" for name, s in seconds.items())
        + "): "
        + ", ".join(f"{name} {n:,}" for name, n in counts(tenant).items())
    )
    print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; median of {RUNS} runs")
    rows = measure(tenant, owner)
    print()
    print(
        "| range | events counted | daily_figures cold ms | warm ms | plain GROUP BY ms | cold / plain | "
        "warm / plain | via the view cold / warm ms | queries cold / warm |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['days']} days | {row['events']:,} | {row['cold_ms']:.1f} | {row['warm_ms']:.1f} | "
            f"{row['plain_ms']:.1f} | {row['cold_ms'] / row['plain_ms']:.2f} | {row['warm_ms'] / row['plain_ms']:.3f} "
            f"| {row['view_cold_ms']:.1f} / {row['view_warm_ms']:.1f} | {row['cold_queries']} / {row['warm_queries']} |"
        )
    print()
    for row in rows:
        print(
            f"{row['days']} days: cold runs {', '.join(f'{t:.0f}' for t in row['cold_all'])} ms; "
            f"warm runs {', '.join(f'{t:.1f}' for t in row['warm_all'])} ms"
        )
    first_night, usual_night = nightly(tenant)
    print(
        f"\nnightly roll-up for this tenant: first night (366 days) {first_night:.0f} ms, a usual night (2 days) "
        f"{usual_night:.1f} ms"
    )
    worst_warm = max(row["warm_ms"] for row in rows)
    print(
        f"\ntarget {TARGET_MS:.0f} ms: warm (rolled up) worst {worst_warm:.1f} ms "
        f"{'met' if worst_warm < TARGET_MS else 'MISSED'}; cold 365 days {rows[-1]['cold_ms']:.0f} ms "
        f"{'met' if rows[-1]['cold_ms'] < TARGET_MS else 'over'} (once per day and tenant, then rolled up)"
    )


if __name__ == "__main__":
    main()
