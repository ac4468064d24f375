"""A bill order beside a wallet transfer, through the API on PostgreSQL: requests per second and latency of
`POST /api/v1/bills/orders/` (MTN airtime, NGN 100, to VTPass's delivering test phone) and of
`POST /api/v1/wallet/transfer/` (NGN 100 to another bench user), in the same run. The target: a bill order costs at
most LIMIT (1.5) times a transfer, by mean latency and by throughput.

Both go through the whole stack with Django's test `Client`: every middleware, real JWT bearer auth (an access
token from `SessionRefreshToken.for_user`, what sign-in issues), the Idempotency-Key (a fresh uuid each) and a
single-use X-Pin-Token. Django runs with DEBUG off; the providers are the in-process sandboxes (the settings of
tests/fixtures/money.py `providers_in_process`), so the VTPass purchase happens after commit inside the same
request and answers at once. Users are verified, KYC tier 2 (NGN limits 5M a payment, 20M a day: they never bind),
with a funded NGN wallet (a balanced posting from SUSPENSE). Throttle rates are raised so they never refuse, but
the throttles still run. PIN tokens are issued with `issue_pin_token` before each timed round; the bench users'
PINs are hashed with MD5 in this process only, so issuing hundreds takes seconds (nothing timed runs a hasher).

N requests of each kind per setting (argv[1], default 300), with 1 client and with 4 client processes (each its own
10 users, so no wallet is shared between clients). The kinds alternate in rounds of ROUND requests per client, all
clients on the same kind at a time, so both see the same load; throughput is a kind's requests over the wall time
of its rounds. Every answer must be 201, and `delivered` for a bill. Afterwards, in the main process: SQL
statements, commits and SQL time per request (CaptureQueriesContext over SAMPLE requests of each kind), a cProfile
of PROFILE requests of each kind when a ratio is above LIMIT (or with --profile), and `ledger_check`.

    createdb needs CREATEDB; the script makes (and drops first) its own database:
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench .venv/bin/python bench/billpay.py [requests]
"""

# The project's modules are imported inside the functions: each script first points Django at its own database
# (`setup_django`), and models can only be imported after that.

import cProfile
import json
import math
import multiprocessing
import os
import platform
import pstats
import statistics
import sys
import time
import uuid
from collections import deque
from decimal import Decimal
from pathlib import Path

from bench_environment import production_environment, recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose billpay.py (this file) would shadow the `billpay` app
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench")
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(ARGS[0]) if ARGS else 300
FORCE_PROFILE = "--profile" in sys.argv
CLIENTS = (1, 4)
ROUND = 25  # requests of one kind per client before switching kinds
USERS_PER_CLIENT = 10
WARM_UP = 5  # of each kind per client, untimed
SAMPLE = 20  # requests of each kind measured for SQL statements, commits and SQL time
PROFILE = 50  # requests of each kind under cProfile
LIMIT = 1.5
PIN = "4829"
AMOUNT = "100.00"
PHONE = "08011111111"  # VTPass's test phone: delivered
FUNDS = Decimal("1000000.00")
KINDS = ("transfer", "bill")
PATHS = {"transfer": "/api/v1/wallet/transfer/", "bill": "/api/v1/bills/orders/"}


def configure_environment() -> None:
    """Production settings (bench_environment), the providers as in-process sandboxes, Celery eager."""
    production_environment(
        database_url=BENCH_URL,
        SANDBOX_DELIVERY="inprocess",
        SANDBOX_STK_DELAY="0",
        CELERY_TASK_ALWAYS_EAGER="true",
        LOG_LEVEL="INFO",  # production's: access lines are formatted, then written to /dev/null below
        THROTTLE_USER="1000000/min",
        THROTTLE_RECIPIENT_LOOKUP="1000000/hour",
        VELOCITY_LIMITS="{}",  # no limit; the velocity counts still run on every transfer
        VELOCITY_DEVICE_LIMITS="{}",
    )


def setup_django() -> None:
    import logging
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a bench
    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True  # as `providers_in_process` does
    assert settings.PROVIDERS_SANDBOX and not settings.DEBUG
    # the bench users' PINs are MD5-hashed (issuing tokens is not what is measured); every other hasher stays
    override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    ).enable()
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    loud = logging.StreamHandler(sys.stderr)
    loud.setLevel(logging.WARNING)  # a failed purchase call is logged, not raised: keep it visible
    root.addHandler(loud)


def prepare(clients: int) -> list[list[tuple[str, str]]]:
    """Per client, USERS_PER_CLIENT verified tier-2 users with a funded NGN wallet: (id, email) each."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from payments.models import AccountKind, TransactionKind
    from payments.services import Leg, get_house_account, get_wallet, post_transaction

    run = uuid.uuid4().hex[:8]
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="NGN")
    pin_hash = make_password(PIN, hasher="md5")
    groups = []
    for c in range(clients):
        users = []
        for u in range(USERS_PER_CLIENT):
            user = User.objects.create(
                email=f"bench-{run}-c{c}u{u}@bench.invalid", is_verified=True, kyc_tier=2, pin_hash=pin_hash
            )
            wallet = get_wallet(user_id=user.pk, currency="NGN")
            post_transaction(
                kind=TransactionKind.ADJUSTMENT,
                legs=[Leg(suspense, -FUNDS), Leg(wallet, FUNDS)],
                idempotency_key=f"bench-fund:{user.pk}",
            )
            users.append((str(user.pk), user.email))
        groups.append(users)
    return groups


class Driver:
    """One API client over a few users: request i is sent by user i mod U (a transfer goes to user i+1)."""

    def __init__(self, users: list[tuple[str, str]]):
        from django.test import Client

        from accounts.authentication import SessionRefreshToken
        from accounts.models import User

        self.users = [User.objects.get(pk=pk) for pk, _ in users]
        self.bearer = {u.pk: f"Bearer {SessionRefreshToken.for_user(u).access_token}" for u in self.users}
        self.pins: dict = {u.pk: deque() for u in self.users}
        self.client = Client()
        self.sent = 0
        self.failures: list[str] = []

    def issue_pins(self, count: int) -> None:
        """PIN tokens for the next `count` requests (they live 5 minutes: issued per round, outside the timing)."""
        from accounts.services import issue_pin_token

        for i in range(self.sent, self.sent + count):
            user = self.users[i % len(self.users)]
            self.pins[user.pk].append(issue_pin_token(user=user, pin=PIN)[0])

    def send(self, kind: str) -> float:
        """One request; its latency in seconds. A wrong answer is recorded in `failures`."""
        i = self.sent
        self.sent += 1
        user = self.users[i % len(self.users)]
        if kind == "transfer":
            body = {"amount": AMOUNT, "currency": "NGN", "recipient": self.users[(i + 1) % len(self.users)].email}
        else:
            body = {"service": "mtn", "customer_id": PHONE, "amount": AMOUNT}
        headers = {
            "Authorization": self.bearer[user.pk],
            "Idempotency-Key": str(uuid.uuid4()),
            "X-Pin-Token": self.pins[user.pk].popleft(),
        }
        began = time.perf_counter()
        response = self.client.post(PATHS[kind], json.dumps(body), content_type="application/json", headers=headers)
        elapsed = time.perf_counter() - began
        answer = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code != 201 or (kind == "bill" and answer.get("status") != "delivered"):
            self.failures.append(f"{kind}: {response.status_code} {response.content[:300]!r}")
        return elapsed


def schedule(per_client: int) -> list[tuple[str, int]]:
    """(kind, requests per client) for each timed phase: rounds of ROUND, each kind once a round, the first kind
    alternating from round to round."""
    phases = []
    for r in range(math.ceil(per_client / ROUND)):
        count = min(ROUND, per_client - r * ROUND)
        phases += [(kind, count) for kind in (KINDS if r % 2 == 0 else KINDS[::-1])]
    return phases


def client_process(users, per_client: int, barrier, out) -> None:
    """A client: warm up, then each phase between two barrier waits (the parent times between them)."""
    configure_environment()
    setup_django()
    driver = Driver(users)
    driver.issue_pins(2 * WARM_UP)
    for _ in range(WARM_UP):
        for kind in KINDS:
            driver.send(kind)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for kind, count in schedule(per_client):
        driver.issue_pins(count)
        barrier.wait()
        latencies[kind] += [driver.send(kind) for _ in range(count)]
        barrier.wait()
    out.put({"latencies": latencies, "failures": driver.failures})


def measure(users_by_client, total: int) -> dict:
    """`total` requests of each kind, spread over one process per client; wall time of each kind's phases."""
    clients = len(users_by_client)
    per_client = math.ceil(total / clients)
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    barrier = context.Barrier(clients + 1)
    processes = [
        context.Process(target=client_process, args=(users, per_client, barrier, out)) for users in users_by_client
    ]
    for process in processes:
        process.start()
    wall = dict.fromkeys(KINDS, 0.0)
    for kind, _count in schedule(per_client):
        barrier.wait()
        began = time.perf_counter()
        barrier.wait()
        wall[kind] += time.perf_counter() - began
    results = [out.get() for _ in processes]
    for process in processes:
        process.join()
    latencies = {kind: [x for r in results for x in r["latencies"][kind]] for kind in KINDS}
    failures = [f for r in results for f in r["failures"]]
    return {"clients": clients, "wall": wall, "latencies": latencies, "failures": failures}


def figures(run: dict, kind: str) -> dict:
    ms = sorted(1000 * x for x in run["latencies"][kind])
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    rps = len(ms) / run["wall"][kind]
    return {"count": len(ms), "rps": rps, "mean": statistics.fmean(ms), "p50": cuts[49], "p95": cuts[94]}


def sample_sql(driver) -> dict[str, dict]:
    """Per kind, means over SAMPLE requests: statements as Django logs them (BEGIN, COMMIT and SAVEPOINTs
    included), commits, time in statements (round trip included) and in commits, and the whole request."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connection = connections["default"]
    commit = type(connection).commit
    clock = {"commits": 0, "commit_s": 0.0, "sql_s": 0.0}

    def timed_commit(self) -> None:
        began = time.perf_counter()
        commit(self)
        clock["commits"] += 1
        clock["commit_s"] += time.perf_counter() - began

    def timed_statement(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock["sql_s"] += time.perf_counter() - began

    found: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    driver.issue_pins(2 * SAMPLE)
    type(connection).commit = timed_commit
    try:
        with connection.execute_wrapper(timed_statement):
            for _ in range(SAMPLE):
                for kind in KINDS:
                    clock.update(commits=0, commit_s=0.0, sql_s=0.0)
                    with CaptureQueriesContext(connection) as captured:
                        request_s = driver.send(kind)
                    found[kind].append({**clock, "statements": len(captured.captured_queries), "request_s": request_s})
    finally:
        type(connection).commit = commit
    return {
        kind: {
            "statements": sorted({r["statements"] for r in rows}),
            "commits": sorted({r["commits"] for r in rows}),
            **{key: 1000 * statistics.fmean(r[key] for r in rows) for key in ("sql_s", "commit_s", "request_s")},
        }
        for kind, rows in found.items()
    }


PROFILED = [  # (file suffix, function): what a request's time is spent on
    ("rest_framework_simplejwt/authentication.py", "authenticate", "JWT auth (user row)"),
    ("payments/services/idempotency.py", "claim_idempotency_key", "claim Idempotency-Key"),
    ("accounts/services.py", "authorize_money_movement", "spend PIN token"),
    ("payments/services/limits.py", "check_outgoing_limit", "KYC limit (3 sums)"),
    ("payments/selectors.py", "find_user_by_handle", "find recipient"),
    ("payments/services/transfers.py", "post_transfer", "post_transfer"),
    ("billpay/services/orders.py", "place_order", "place_order (hold + order row)"),
    ("billpay/services/orders.py", "_submit_after_commit", "after commit: submit_order"),
    ("billpay/providers/vtpass/adapter.py", "pay", "  sandbox VTPass pay (HTTP mock + its row)"),
    ("billpay/services/orders.py", "apply_result", "  apply_result (settlement posting)"),
    ("payments/services/ledger.py", "post_transaction", "post_transaction (all postings)"),
    ("payments/services/idempotency.py", "record_idempotent_response", "record idempotent response"),
    ("django/db/backends/base/base.py", "commit", "COMMIT (all)"),
    ("django/db/backends/utils.py", "_execute", "SQL statements (all)"),
]


def profile(driver, kind: str) -> tuple[float, dict[str, float], list[tuple[float, str]]]:
    """cProfile over PROFILE requests: ms per request in total, in each PROFILED function, and the project's top
    functions by cumulative time."""
    driver.issue_pins(PROFILE)
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(PROFILE):
        driver.send(kind)
    profiler.disable()
    total = 1000 * (time.perf_counter() - began) / PROFILE
    stats = pstats.Stats(profiler).stats
    parts = {}
    for suffix, function, label in PROFILED:
        cumulative = sum(
            ct for (file, _, name), (_, _, _, ct, _) in stats.items() if name == function and file.endswith(suffix)
        )
        if cumulative:
            parts[label] = 1000 * cumulative / PROFILE
    ours = [
        (1000 * ct / PROFILE, f"{Path(file).relative_to(ROOT)}:{line} {name}")
        for (file, line, name), (_, _, _, ct, _) in stats.items()
        if file.startswith(str(ROOT)) and ".venv" not in file and "/bench/" not in file
    ]
    return total, parts, sorted(ours, reverse=True)[:15]


def main() -> None:
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    configure_environment()
    recreate_database(BENCH_URL)
    setup_django()
    import django
    import psycopg
    import rest_framework
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from billpay.models import BillOrder, SandboxBillTransaction
    from billpay.services import sync_catalog
    from payments.models import Transfer
    from payments.selectors import ledger_discrepancies

    call_command("migrate", verbosity=0)
    sync_catalog()
    users = prepare(sum(CLIENTS) + 1)  # the last group is the main process's, for the SQL sample and the profile
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')"
        )
        pg, fsync, sync_commit = cursor.fetchone()
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, load average before the run {' '.join(load_before)}; "
        f"Python {platform.python_version()}, Django {django.get_version()}, DRF {rest_framework.VERSION}, "
        f"psycopg {psycopg.__version__}, PostgreSQL {pg} (fsync {fsync}, synchronous_commit {sync_commit})"
    )
    print(f"{N} requests of each kind per setting, rounds of {ROUND} per client, kinds alternating; DEBUG off")

    runs = []
    start = 0
    for clients in CLIENTS:
        runs.append(measure(users[start : start + clients], N))
        start += clients
    failures = [f for run in runs for f in run["failures"]]

    print(f"\n{'clients':>7s} {'kind':8s} {'count':>5s} {'req/s':>7s} {'mean ms':>8s} {'p50 ms':>7s} {'p95 ms':>7s}")
    verdicts = []
    for run in runs:
        row = {}
        for kind in KINDS:
            row[kind] = f = figures(run, kind)
            print(
                f"{run['clients']:7d} {kind:8s} {f['count']:5d} {f['rps']:7.1f} {f['mean']:8.2f} {f['p50']:7.2f} "
                f"{f['p95']:7.2f}"
            )
        by_latency = row["bill"]["mean"] / row["transfer"]["mean"]
        by_throughput = row["transfer"]["rps"] / row["bill"]["rps"]
        verdict = "PASS" if max(by_latency, by_throughput) <= LIMIT else "FAIL"
        verdicts.append(verdict)
        print(
            f"{run['clients']:7d} bill/transfer: mean latency {by_latency:.2f}x, throughput (transfer/bill) "
            f"{by_throughput:.2f}x -> {verdict} against {LIMIT}x"
        )

    driver = Driver(users[-1])
    driver.issue_pins(2 * WARM_UP)
    for _ in range(WARM_UP):
        for kind in KINDS:
            driver.send(kind)
    print(f"\nper request, means over {SAMPLE} requests of each kind in one process (debug cursor on):")
    print(f"  {'kind':8s} {'statements':>10s} {'commits':>7s} {'SQL ms':>7s} {'COMMIT ms':>9s} {'request ms':>10s}")
    for kind, f in sample_sql(driver).items():
        statements = "/".join(map(str, f["statements"]))
        commits = "/".join(map(str, f["commits"]))
        print(
            f"  {kind:8s} {statements:>10s} {commits:>7s} {f['sql_s']:7.2f} {f['commit_s']:9.2f} {f['request_s']:10.2f}"
        )

    if FORCE_PROFILE or "FAIL" in verdicts:
        print(f"\ncProfile, {PROFILE} requests of each kind, ms per request (cumulative; profiling inflates Python):")
        profiles = {kind: profile(driver, kind) for kind in KINDS}
        print(f"  {'':44s} {'transfer':>9s} {'bill':>9s}")
        print(f"  {'whole request':44s} {profiles['transfer'][0]:9.2f} {profiles['bill'][0]:9.2f}")
        for _, _, label in PROFILED:
            values = [profiles[kind][1].get(label) for kind in KINDS]
            if any(values):
                cells = " ".join(f"{v:9.2f}" if v else f"{'-':>9s}" for v in values)
                print(f"  {label:44s} {cells}")
        print("  the project's functions by cumulative time in a bill order:")
        for ms, where in profiles["bill"][2]:
            print(f"    {ms:7.2f} ms  {where}")
    failures += driver.failures

    statuses = dict(BillOrder.objects.values_list("status").annotate(n=Count("id")))
    print(
        f"\nbill orders by status {statuses}; sandbox purchases {SandboxBillTransaction.objects.count()}; "
        f"transfers {Transfer.objects.count()}"
    )
    problems = ledger_discrepancies()
    print("ledger_check:", "clean" if not problems else f"{len(problems)} discrepancies, e.g. {problems[0]}")
    print("answers:", "every one 201 (and delivered for bills)" if not failures else f"{len(failures)} wrong")
    for failure in failures[:5]:
        print("  ", failure)
    if failures or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
