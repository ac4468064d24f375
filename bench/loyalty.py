"""Merchant-loyalty event ingest over HTTP: gunicorn serving the project on PostgreSQL, a load generator on the same
machine, `POST /api/v1/loyalty/tenants/{tid}/events/` signed with each tenant's API key. The issue's target:
p95 at most 30 ms with 200 events/s offered.

Seed: TENANTS (5) merchants in KES, each with one monthly budget of KES 100M (hard cap; it never runs out), six
rewards (points and discounts), the 10 rules of `bench/loyalty_rules.py` (the same conditions its micro-benchmark
times; here with priorities, a few caps and cooldowns, and a reward each), one API key, CUSTOMERS (1,000)
customers with attributes (tier, city, birthday month, tags) and a history of 0-12 purchases and visits over the
last 120 days (so the window features read real rows, and most first-event rules are false as in a live tenant).

Load: gunicorn (`config.wsgi`, WORKERS sync workers as the Procfile starts it, DEBUG off, production logging at
INFO into a file) on 127.0.0.1 and a free port; an asyncio client (httpx) in this process. Each event: a random
tenant, a random customer phone of that tenant (NEW_PHONES of them unknown, so they enrol), a unique
idempotency_key, a mix of purchases (amounts log-normal around KES 250, a basket), visits, referrals and app
opens; `occurred_at` is left to the server (now). Three phases after a warm-up:
  open loop at each of RATES events/s for SECONDS: sends on a fixed schedule whatever the answers, latency from
      the scheduled moment (so a slow server or a late client shows as latency, not as a lower rate); at most
      MAX_IN_FLIGHT requests outstanding, a send due beyond that is counted as dropped (this bounds the queue an
      overloaded server builds, and so the run's length); an answer later than GRACE is given up
  closed loop with CONNECTIONS connections, each sending its next event when the last is answered: the most the
      server sustains
Between phases the server is left to drain. During each phase PostgreSQL's backends are sampled every 100 ms
(pg_stat_activity): running SQL, in COMMIT, waiting on a lock (and on which statement), idle in a transaction (the
worker in Python between statements).

Afterwards, in this process with the test Client (no gunicorn): SQL statements and time per event, by how many
rewards the event issued (CaptureQueriesContext); a cProfile of PROFILE events when p95 at 200/s misses the target
(or with --profile); rule evaluation per event on RULE_EVENTS real events of the run (their features computed as
ingest does): the compiled rules against panzi-json-logic on the same rules and data; `ledger_check`.

2 CPUs here: gunicorn's workers, PostgreSQL and the load generator share them. The run first waits (up to 20
minutes) until no CI run (`bash .ci/run`) and no pytest run is active, and prints the load average.

    createdb needs CREATEDB; the script makes (and drops first) its own database:
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench_loyalty .venv/bin/python bench/loyalty.py [seconds]
"""

# The project's modules are imported inside the functions: the script first points Django at its own database
# (`setup_django`), and models can only be imported after that.

import asyncio
import contextlib
import copy
import cProfile
import json
import math
import os
import platform
import pstats
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench_environment import production_environment, recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # ahead of bench/, whose loyalty.py (this file) would shadow the `loyalty` app
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench_loyalty")
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SECONDS = float(ARGS[0]) if ARGS else 20.0
FORCE_PROFILE = "--profile" in sys.argv
TENANTS = 5
CUSTOMERS = 1000
NEW_PHONES = 0.1  # share of events from a phone the tenant does not know yet (enrolled by the event)
NO_HISTORY = 0.1  # share of seeded customers without past events
RATES = (100, 200)
CONNECTIONS = 4
WORKERS = 2
WARM_UP = 3.0  # seconds, 2 connections, untimed
GRACE = 30.0  # seconds after a phase's last send before unanswered requests are given up
MAX_IN_FLIGHT = 256  # an open loop's outstanding requests at most (its pool); a send beyond it is dropped
TARGET_RATE, TARGET_P95_MS = 200, 30.0
SAMPLE = 60  # events measured for SQL statements in process
PROFILE = 100  # events under cProfile
RULE_EVENTS = 300  # events of the run whose rule evaluation is timed
SEED = 20261130
CI_POLL, CI_WAIT = 30, 20 * 60
BUSY = ("bash .ci/run", "bin/pytest")  # a CI run, or someone's test run, on this machine
EVENTS_PATH = "/api/v1/loyalty/tenants/{}/events/"

REWARDS: dict[str, dict[str, Any]] = {
    "points_10": {"name": "10 points", "reward_type": "points", "value": 10, "cost": "1.00"},
    "points_50": {"name": "50 points", "reward_type": "points", "value": 50, "cost": "5.00"},
    "points_100": {"name": "100 points", "reward_type": "points", "value": 100, "cost": "10.00"},
    "pct_10": {
        "name": "10% off",
        "reward_type": "discount",
        "discount_kind": "percent",
        "value": "10",
        "cost": "25.00",
        "validity_days": 30,
    },
    "kes_100": {
        "name": "KES 100 off",
        "reward_type": "discount",
        "discount_kind": "amount",
        "value": "100.00",
        "cost": "100.00",
        "validity_days": 30,
    },
    "coffee": {
        "name": "A free coffee",
        "reward_type": "discount",
        "discount_kind": "amount",
        "value": "150.00",
        "cost": "60.00",
        "validity_days": 14,
    },
}
DAY = {"count": 1, "period": "day"}
# (name, reward, caps, cooldown seconds), in the order of loyalty_rules.RULES; priority 10, 20, ... in that order
RULE_SETUP: list[tuple[str, str, dict[str, Any], int]] = [
    ("Big spender", "kes_100", {"per_customer": DAY}, 0),
    ("Weekend happy hour", "pct_10", {}, 3600),
    ("Fifth purchase in 30 days", "points_100", {}, 0),
    ("Points on every purchase", "points_10", {"per_customer": {"count": 5, "period": "day"}}, 0),
    ("Welcome", "points_50", {}, 0),
    ("Birthday treat", "pct_10", {"per_customer": {"count": 1, "period": "month"}}, 0),
    ("Coffee promo", "coffee", {}, 86400),
    ("Big basket", "points_50", {}, 0),
    ("Win-back visit", "points_100", {}, 0),
    ("Referral", "points_100", {"global": {"count": 1_000_000, "period": "month"}}, 0),
]


def configure_environment(run_dir: str) -> None:
    """Production settings (bench_environment); gunicorn inherits all of it."""
    production_environment(
        database_url=BENCH_URL,
        run_dir=run_dir,  # nothing here should enqueue
        LOG_LEVEL="INFO",  # production's: one JSON access line per request
        THROTTLE_USER="1000000/min",  # an API key is throttled as a user
        THROTTLE_ANON="1000000/min",
    )


def setup_django() -> None:
    import logging
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a bench
    django.setup()
    from django.conf import settings

    assert settings.PROVIDERS_SANDBOX and not settings.DEBUG
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    loud = logging.StreamHandler(sys.stderr)
    loud.setLevel(logging.WARNING)
    root.addHandler(loud)


def busy() -> list[str]:
    """What else is running that would share the CPUs: a CI run (`bash .ci/run`) or another pytest run."""
    pgrep = shutil.which("pgrep") or "/usr/bin/pgrep"
    return [
        pattern
        for pattern in BUSY
        if subprocess.run([pgrep, "-f", pattern], capture_output=True, check=False).returncode == 0  # noqa: S603
    ]


def wait_for_ci() -> float:
    """Seconds waited until nothing of BUSY runs (polled every CI_POLL s, at most CI_WAIT)."""
    began = time.monotonic()
    while running := busy():
        if time.monotonic() - began > CI_WAIT:
            print(f"still running after 20 minutes: {running}; measuring anyway (CPUs shared)", flush=True)
            break
        print(f"waiting for {running} ({time.monotonic() - began:.0f} s so far)", flush=True)
        time.sleep(CI_POLL)
    return time.monotonic() - began


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- seed ----------------------------------------------------------------------------------------------------------


@dataclass
class TenantSpec:
    index: int
    id: str
    key_id: str
    secret: str
    phones: list[str]
    path: str = ""


def _attributes(rng: random.Random) -> dict[str, Any]:
    return {
        "tier": rng.choices(["silver", "gold", "platinum"], weights=[60, 25, 15])[0],
        "city": "Nairobi",
        "birthday_month": rng.randint(1, 12),
        "tags": ["staff"] if rng.random() < 0.02 else [],
    }


def seed() -> list[TenantSpec]:
    from django.utils import timezone
    from loyalty_rules import RULES

    from accounts.models import User
    from loyalty.models import Customer, Event
    from loyalty.services.budgets import create_budget
    from loyalty.services.rewards import create_reward
    from loyalty.services.rules import create_rule
    from loyalty.services.tenants import create_api_key, create_tenant
    from loyalty.tenancy import tenant_context

    assert len(RULES) == len(RULE_SETUP) == 10
    rng = random.Random(SEED)
    owner = User.objects.create(email="loyalty-bench@bench.invalid", is_verified=True)
    now = timezone.now()
    specs = []
    for t in range(TENANTS):
        tenant = create_tenant(creator=owner, name=f"Bench merchant {t}", currency="KES", time_zone="Africa/Nairobi")
        with tenant_context(tenant.pk):
            budget = create_budget(
                tenant=tenant,
                name="Rewards",
                total_amount="100000000.00",
                currency="KES",
                period="monthly",
                hard_cap=True,
            )
            rewards = {
                code: create_reward(tenant=tenant, budget_id=budget.pk, **spec).pk for code, spec in REWARDS.items()
            }
            for i, (conditions, (name, reward, caps, cooldown)) in enumerate(zip(RULES, RULE_SETUP, strict=True)):
                create_rule(
                    tenant=tenant,
                    name=name,
                    conditions=copy.deepcopy(conditions),
                    reward_id=rewards[reward],
                    priority=10 * (i + 1),
                    caps=caps,
                    cooldown_seconds=cooldown,
                )
            key = create_api_key(tenant=tenant, creator=owner, name="bench till")
            phones = [f"+25471{t}{i:06d}" for i in range(CUSTOMERS)]
            customers = Customer.objects.bulk_create(
                [Customer(tenant=tenant, phone=phone, attributes=_attributes(rng)) for phone in phones]
            )
            history = []
            for customer in customers:
                if rng.random() < NO_HISTORY:
                    continue
                for j in range(rng.randint(1, 12)):
                    if rng.random() < 0.7:
                        kind, data = "purchase", {"amount": _amount(rng), "channel": "pos", "currency": "KES"}
                    else:
                        kind, data = "visit", {"store_id": rng.choice(STORES), "channel": "pos"}
                    history.append(
                        Event(
                            tenant=tenant,
                            customer=customer,
                            event_type=kind,
                            data=data,
                            idempotency_key=f"history-{customer.pk}-{j}",
                            occurred_at=now - timedelta(days=rng.uniform(1, 120)),
                        )
                    )
            Event.objects.bulk_create(history, batch_size=2000)
        specs.append(
            TenantSpec(
                index=t,
                id=str(tenant.pk),
                key_id=key.key.key_id,
                secret=key.secret,
                phones=phones,
                path=EVENTS_PATH.format(tenant.pk),
            )
        )
    return specs


# --- events --------------------------------------------------------------------------------------------------------

STORES = ["nairobi-cbd", "nairobi-westlands", "mombasa-1", "kisumu-2"]
CATEGORIES = ["coffee", "bakery", "grocery", "coffee"]


def _amount(rng: random.Random) -> int:
    return max(20, min(20000, round(rng.lognormvariate(math.log(250), 0.8))))


def make_event(rng: random.Random, spec: TenantSpec, month: int) -> dict[str, Any]:
    new = rng.random() < NEW_PHONES
    phone = f"+25472{spec.index}{rng.randrange(10**6):06d}" if new else rng.choice(spec.phones)
    r = rng.random()
    if r < 0.5:
        kind = "purchase"
        data: dict[str, Any] = {
            "amount": _amount(rng),
            "currency": "KES",
            "channel": rng.choice(["pos", "pos", "app", "web", "kiosk"]),
            "month": month,
            "store_id": rng.choice(STORES),
            "items": [
                {
                    "sku": f"sku-{rng.randrange(500)}",
                    "category": rng.choice(CATEGORIES),
                    "qty": 2 if rng.random() < 0.1 else 1,
                    "price": rng.randrange(40, 180),
                }
                for _ in range(rng.choice([1, 1, 2, 2, 3]))
            ],
        }
    elif r < 0.85:
        kind, data = "visit", {"store_id": rng.choice(STORES), "channel": "pos"}
    elif r < 0.95:
        kind, data = "referral_completed", {"referred": f"+25473{rng.randrange(10**7):07d}"}
    else:
        kind, data = "app_open", {"screen": "home"}
    return {"customer": phone, "event_type": kind, "event_data": data, "idempotency_key": uuid.uuid4().hex}


def signed_headers(spec: TenantSpec, body: bytes) -> dict[str, str]:
    from loyalty.services.tenants import request_signature

    stamp = str(int(time.time()))
    signature = request_signature(secret=spec.secret, timestamp=stamp, method="POST", path=spec.path, body=body)
    return {
        "Content-Type": "application/json",
        "X-Api-Key": spec.key_id,
        "X-Timestamp": stamp,
        "X-Signature": signature,
    }


# --- the server ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, log) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--chdir",
        str(ROOT),
    ]
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())  # noqa: S603
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # graceful: workers finish their request
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the load generator --------------------------------------------------------------------------------------------


@dataclass
class Answer:
    latency: float  # seconds, from the scheduled send
    status: int | str
    done: float  # perf_counter at the answer
    issuances: int = 0
    skipped: list[str] = field(default_factory=list)
    body: str = ""


@dataclass
class Phase:
    name: str
    offered: float | None  # events/s, None for a closed loop
    answers: list[Answer]
    began: float
    sent: int
    given_up: int
    dropped: int  # not sent: MAX_IN_FLIGHT requests were outstanding at its moment
    late_sends_ms: float  # the client's worst delay behind its schedule
    load: str
    backends: dict[str, Any] = field(default_factory=dict)


class Load:
    def __init__(self, specs: list[TenantSpec], base_url: str):
        self.specs = specs
        self.base_url = base_url
        self.rng = random.Random(SEED + 1)
        self.month = time.gmtime().tm_mon

    def client(self):
        import httpx

        return httpx.AsyncClient(
            base_url=self.base_url,
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT),
            timeout=httpx.Timeout(GRACE),
        )

    async def send(self, client, scheduled: float) -> Answer:
        import httpx

        spec = self.rng.choice(self.specs)
        body = json.dumps(make_event(self.rng, spec, self.month)).encode()
        try:
            response = await client.post(spec.path, content=body, headers=signed_headers(spec, body))
        except httpx.HTTPError as exc:
            now = time.perf_counter()
            return Answer(now - scheduled, type(exc).__name__, now, body=str(exc)[:200])
        now = time.perf_counter()
        answer = Answer(now - scheduled, response.status_code, now)
        if response.status_code == 201:
            payload = response.json()
            answer.issuances = len(payload["issuances"])
            answer.skipped = [s["reason"] for s in payload["skipped"]]
        else:
            answer.body = response.text[:300]
        return answer

    async def open_loop(self, rate: float, seconds: float) -> Phase:
        count = int(rate * seconds)
        async with self.client() as client:
            began = time.perf_counter() + 0.05
            tasks = []
            late = 0.0
            dropped = 0
            outstanding = set()
            for i in range(count):
                at = began + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    late = max(late, -delay)
                if len(outstanding) >= MAX_IN_FLIGHT:
                    dropped += 1
                    continue
                task = asyncio.create_task(self.send(client, at))
                outstanding.add(task)
                task.add_done_callback(outstanding.discard)
                tasks.append(task)
            done, pending = await asyncio.wait(tasks, timeout=GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        answers = [task.result() for task in done]
        return Phase(
            f"open loop {rate:.0f}/s", rate, answers, began, len(tasks), len(pending), dropped, 1000 * late, ""
        )

    async def closed_loop(self, connections: int, seconds: float) -> Phase:
        answers: list[Answer] = []
        async with self.client() as client:
            began = time.perf_counter()
            deadline = began + seconds

            async def connection() -> None:
                while time.perf_counter() < deadline:
                    answers.append(await self.send(client, time.perf_counter()))

            await asyncio.gather(*(connection() for _ in range(connections)))
        return Phase(f"closed loop, {connections} conn.", None, answers, began, len(answers), 0, 0, 0.0, "")

    async def wait_idle(self) -> None:
        """Until a health check comes back within 50 ms: no queue of earlier requests is left in gunicorn."""
        async with self.client() as client:
            for _ in range(240):
                began = time.perf_counter()
                await client.get("/api/v1/health/")
                if time.perf_counter() - began < 0.05:
                    return
                await asyncio.sleep(0.5)


class Backends:
    """pg_stat_activity every 100 ms while a phase runs: what the server's database sessions are doing."""

    def __init__(self) -> None:
        self.samples = 0
        self.states: Counter[str] = Counter()
        self.waiting: Counter[str] = Counter()
        self.stop = asyncio.Event()

    async def run(self) -> None:
        import psycopg

        query = (
            "SELECT state, wait_event_type, "
            "left(regexp_replace(regexp_replace(query, '\\s+', ' ', 'g'), '''[^'']*''', '?', 'g'), 70) "
            "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        async with await psycopg.AsyncConnection.connect(BENCH_URL, autocommit=True) as conn:
            while not self.stop.is_set():
                rows = await (await conn.execute(query)).fetchall()
                self.samples += 1
                for state, wait_type, text in rows:
                    if state == "active" and text.upper().startswith("COMMIT"):
                        self.states["committing"] += 1
                    elif state == "active" and wait_type == "Lock":
                        self.states["waiting on a lock"] += 1
                        self.waiting[text] += 1
                    elif state == "active":
                        self.states["running SQL"] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.states["idle in transaction"] += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), 0.1)

    def summary(self) -> dict[str, Any]:
        n = max(1, self.samples)
        return {
            "samples": self.samples,
            **{
                k: self.states[k] / n for k in ("running SQL", "committing", "waiting on a lock", "idle in transaction")
            },
            "waiting": self.waiting.most_common(3),
        }


async def drive(load: Load) -> list[Phase]:
    await load.closed_loop(2, WARM_UP)  # each worker compiles the rules, fills its connection pool
    await load.wait_idle()
    plan: list[tuple[str, float]] = [("open", rate) for rate in RATES] + [("closed", CONNECTIONS)]
    phases = []
    for kind, value in plan:
        if running := busy():
            print(f"note: {running} started before the {kind} {value} phase", flush=True)
        before = load_average()
        sampler = Backends()
        sampling = asyncio.create_task(sampler.run())
        phase = await (load.open_loop(value, SECONDS) if kind == "open" else load.closed_loop(int(value), SECONDS))
        sampler.stop.set()
        await sampling
        phase.load, phase.backends = before, sampler.summary()
        phases.append(phase)
        print(f"  {phase.name}: done, load average before it {before}", flush=True)
        await load.wait_idle()
    return phases


def figures(phase: Phase) -> dict[str, Any]:
    ok = [a for a in phase.answers if a.status == 201]
    ms = sorted(1000 * a.latency for a in ok)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [math.nan] * 99
    wall = max((a.done for a in ok), default=phase.began) - phase.began
    errors = Counter(str(a.status) for a in phase.answers if a.status != 201)
    if phase.given_up:
        errors["no answer in time"] += phase.given_up
    return {
        "sent": phase.sent,
        "dropped": phase.dropped,
        "ok": len(ok),
        "errors": sum(errors.values()),
        "by_error": dict(errors),
        "rate": len(ok) / wall if wall > 0 else math.nan,
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "max": ms[-1] if ms else math.nan,
        "issuances": sum(a.issuances for a in ok),
        "issuing": sum(1 for a in ok if a.issuances) / max(1, len(ok)),
        "skipped": Counter(reason for a in ok for reason in a.skipped),
        "first_error": next((f"{a.status} {a.body}" for a in phase.answers if a.status != 201), ""),
    }


# --- in process: SQL per event, a profile, the rules -----------------------------------------------------------------


class InProcess:
    """Events through the whole stack with Django's test Client, in this process (gunicorn stopped)."""

    def __init__(self, specs: list[TenantSpec]):
        from django.test import Client

        self.specs = specs
        self.client = Client()
        self.rng = random.Random(SEED + 2)
        self.month = time.gmtime().tm_mon
        self.failures: list[str] = []

    def send(self) -> tuple[float, int]:
        spec = self.rng.choice(self.specs)
        body = json.dumps(make_event(self.rng, spec, self.month)).encode()
        headers = signed_headers(spec, body)
        began = time.perf_counter()
        response = self.client.post(spec.path, body, content_type=headers.pop("Content-Type"), headers=headers)
        elapsed = time.perf_counter() - began
        if response.status_code != 201:
            self.failures.append(f"{response.status_code} {response.content[:300]!r}")
            return elapsed, 0
        return elapsed, len(response.json()["issuances"])


def sample_sql(driver: InProcess) -> dict[str, dict[str, Any]]:
    """By issuances per event (0, 1, 2+): statements as Django logs them (savepoints included), SQL time (round trip
    included), COMMIT time (the WAL flush: synchronous_commit is on) and the whole request, over SAMPLE events."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connection = connections["default"]
    commit = type(connection).commit
    clock = {"sql_s": 0.0, "commit_s": 0.0}

    def timed_commit(self) -> None:
        began = time.perf_counter()
        commit(self)
        clock["commit_s"] += time.perf_counter() - began

    def timed_statement(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock["sql_s"] += time.perf_counter() - began

    rows: dict[str, list[dict[str, float]]] = {}
    type(connection).commit = timed_commit
    try:
        with connection.execute_wrapper(timed_statement):
            for _ in range(SAMPLE):
                clock.update(sql_s=0.0, commit_s=0.0)
                with CaptureQueriesContext(connection) as captured:
                    request_s, issued = driver.send()
                group = "2+" if issued >= 2 else str(issued)
                rows.setdefault(group, []).append(
                    {"statements": len(captured.captured_queries), **clock, "request_s": request_s}
                )
    finally:
        type(connection).commit = commit
    return {
        group: {
            "events": len(found),
            "statements": (min(r["statements"] for r in found), max(r["statements"] for r in found)),
            "mean_statements": statistics.fmean(r["statements"] for r in found),
            "sql_ms": 1000 * statistics.fmean(r["sql_s"] for r in found),
            "commit_ms": 1000 * statistics.fmean(r["commit_s"] for r in found),
            "request_ms": 1000 * statistics.fmean(r["request_s"] for r in found),
        }
        for group, found in sorted(rows.items())
    }


PROFILED = [  # (file suffix, function, label): where an event's time goes
    ("loyalty/access.py", "authenticate", "API key auth (key row, decrypt, HMAC, last_used_at)"),
    ("loyalty/tenancy.py", "enter_tenant", "enter_tenant (set_config x3)"),
    ("loyalty/selectors.py", "get_tenant", "get_tenant"),
    ("loyalty/services/events.py", "ingest_event", "ingest_event (all of it)"),
    ("loyalty/services/events.py", "_customer", "  find or enrol the customer"),
    ("loyalty/services/rules.py", "live_rules", "  live_rules (query)"),
    ("loyalty/services/events.py", "features_for", "  features_for (window + first-event queries)"),
    ("loyalty/rules/compiler.py", "is_true", "  the 10 compiled rules"),
    ("loyalty/services/events.py", "_held_back", "  caps and cooldowns"),
    ("loyalty/services/issuances.py", "issue_reward", "  issue_reward (all issuances)"),
    ("loyalty/services/budgets.py", "reserve_cost", "    reserve_cost"),
    ("loyalty/services/budgets.py", "used_in_period", "      used_in_period (SUM over the month's issuances)"),
    ("loyalty/services/budgets.py", "charge_cost", "    charge_cost (points)"),
    ("loyalty/services/points.py", "credit_points", "    credit_points"),
    ("payments/services/ledger.py", "post_transaction", "    post_transaction (all postings)"),
    ("django/db/backends/base/base.py", "commit", "COMMIT"),
    ("django/db/backends/utils.py", "_execute", "SQL statements (all)"),
]


def profile(driver: InProcess) -> tuple[float, dict[str, float], list[tuple[float, str]]]:
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for _ in range(PROFILE):
        driver.send()
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
    return total, parts, sorted(ours, reverse=True)[:12]


def rule_evaluation(specs: list[TenantSpec]) -> dict[str, Any]:
    """The tenants' live rules on RULE_EVENTS events of the run, with features computed as ingest computes them:
    the compiled rules (what ingest runs) against panzi-json-logic interpreting the same conditions."""
    from django.utils import timezone
    from json_logic import jsonLogic
    from loyalty_rules import panzi_operations, per_event_us

    from loyalty.models import Event, Tenant
    from loyalty.rules import FEATURES_KEY, required_features
    from loyalty.services.events import features_for
    from loyalty.services.rules import compiled, live_rules
    from loyalty.tenancy import tenant_context

    cases = []  # (compiled rules, their conditions, data)
    feature_s = []
    per_tenant = math.ceil(RULE_EVENTS / len(specs))
    for spec in specs:
        with tenant_context(spec.id):
            tenant = Tenant.objects.get(pk=spec.id)
            rules = live_rules(tenant=tenant, at=timezone.now())
            fast = [compiled(rule) for rule in rules]
            wanted = required_features(fast)
            events = (
                Event.objects.filter(tenant=tenant)
                .exclude(idempotency_key__startswith="history-")
                .select_related("customer")
                .order_by("-pk")[:per_tenant]
            )
            for event in events:
                began = time.perf_counter()
                features = features_for(tenant=tenant, event=event, wanted=wanted)
                feature_s.append(time.perf_counter() - began)
                customer = event.customer
                data = {
                    "event": {
                        "type": event.event_type,
                        "data": event.data,
                        "occurred_at": event.occurred_at.isoformat(),
                    },
                    "customer": {
                        "status": customer.status,
                        "attributes": customer.attributes,
                        "points": customer.points,
                    },
                    FEATURES_KEY: features,
                }
                cases.append((fast, [rule.conditions for rule in rules], data))
    operations = panzi_operations()
    disagreements = 0
    matched = 0
    for fast, slow, data in cases:
        for rule, conditions in zip(fast, slow, strict=True):
            value = rule(data)
            matched += rule.is_true(data)
            disagreements += value != jsonLogic(conditions, data, operations)

    def run_compiled(case) -> None:
        for rule in case[0]:
            rule(case[2])

    def run_panzi(case) -> None:
        for conditions in case[1]:
            jsonLogic(conditions, case[2], operations)

    runs = cases * max(1, 3000 // max(1, len(cases)))
    return {
        "events": len(cases),
        "rules": len(cases[0][0]) if cases else 0,
        "compiled_us": per_event_us(run_compiled, runs, 5),
        "panzi_us": per_event_us(run_panzi, runs, 5),
        "disagreements": disagreements,
        "matches_per_event": matched / max(1, len(cases)),
        "features_ms": 1000 * statistics.fmean(feature_s) if feature_s else math.nan,
    }


def totals() -> dict[str, Any]:
    from django.db.models import Count

    from loyalty.models import Customer, Event, Issuance, PointsEntry
    from loyalty.tenancy import all_tenants

    with all_tenants():
        return {
            "events": Event.objects.exclude(idempotency_key__startswith="history-").count(),
            "history": Event.objects.filter(idempotency_key__startswith="history-").count(),
            "enrolled": Customer.objects.count() - TENANTS * CUSTOMERS,
            "issuances": dict(Issuance.objects.values_list("reward__reward_type").annotate(n=Count("id")).order_by()),
            "points_entries": PointsEntry.objects.count(),
        }


def log_problems(path: Path) -> tuple[int, str]:
    bad = [
        line
        for line in path.read_text(errors="replace").splitlines()
        if '"level": "ERROR"' in line or "CRITICAL" in line or "Traceback" in line or "WORKER TIMEOUT" in line
    ]
    return len(bad), (bad[0][:300] if bad else "")


def main() -> None:
    started = time.monotonic()
    run_dir = tempfile.mkdtemp(prefix="loyalty-bench-")
    configure_environment(run_dir)
    waited = wait_for_ci()
    load_at_start = load_average()
    recreate_database(BENCH_URL)
    setup_django()
    import django
    import gunicorn
    import httpx
    import psycopg
    import rest_framework
    from django.core.management import call_command
    from django.db import connection, connections

    from payments.selectors import ledger_discrepancies

    call_command("migrate", verbosity=0)
    began_seed = time.monotonic()
    specs = seed()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')"
        )
        pg, fsync, sync_commit = cursor.fetchone()
    seeded_s = time.monotonic() - began_seed
    connections.close_all()
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs (gunicorn, PostgreSQL and this load generator share them), "
        f"load average {load_at_start} after waiting {waited:.0f} s for CI and test runs; "
        f"Python {platform.python_version()}, Django {django.get_version()}, DRF {rest_framework.VERSION}, "
        f"psycopg {psycopg.__version__}, gunicorn {gunicorn.__version__}, httpx {httpx.__version__}, "
        f"PostgreSQL {pg} (fsync {fsync}, synchronous_commit {sync_commit})"
    )
    print(
        f"{TENANTS} tenants x 10 rules, {CUSTOMERS} customers each with history (seeded in {seeded_s:.1f} s); "
        f"gunicorn {WORKERS} sync workers, DEBUG off; {SECONDS:.0f} s per phase; {NEW_PHONES:.0%} of events enrol"
    )

    log_path = Path(run_dir) / "gunicorn.log"
    with log_path.open("wb") as log:
        port = free_port()
        server = start_gunicorn(port, log)
        try:
            phases = asyncio.run(drive(Load(specs, f"http://127.0.0.1:{port}")))
        finally:
            stop_gunicorn(server)
    logged_errors, first_logged = log_problems(log_path)

    print(
        f"\n{'phase':26s} {'sent':>5s} {'dropped':>7s} {'201':>5s} {'errors':>6s} {'events/s':>8s} {'p50 ms':>7s} "
        f"{'p95 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'issued':>6s} {'issuing':>7s}"
    )
    rows = []
    for phase in phases:
        f = figures(phase)
        rows.append((phase, f))
        print(
            f"{phase.name:26s} {f['sent']:5d} {f['dropped']:7d} {f['ok']:5d} {f['errors']:6d} {f['rate']:8.1f} "
            f"{f['p50']:7.1f} {f['p95']:7.1f} {f['p99']:7.1f} {f['max']:7.0f} {f['issuances']:6d} {f['issuing']:7.0%}"
        )
    for phase, f in rows:
        b = phase.backends
        print(
            f"  {phase.name}: load before {phase.load}; client at most {phase.late_sends_ms:.1f} ms behind schedule; "
            f"DB sessions per sample: running SQL {b['running SQL']:.2f}, COMMIT {b['committing']:.2f}, "
            f"waiting on a lock {b['waiting on a lock']:.2f}, idle in transaction {b['idle in transaction']:.2f} "
            f"({b['samples']} samples)"
        )
        for text, n in b["waiting"]:
            print(f"    lock wait x{n}: {text}")
        if f["errors"]:
            print(f"    errors {f['by_error']}; first: {f['first_error']}")
        if f["skipped"]:
            print(f"    rules matched but held back: {dict(f['skipped'])}")
    target = next((f for phase, f in rows if phase.offered == TARGET_RATE), None)
    missed = target is None or not target["p95"] <= TARGET_P95_MS
    verdict = "MISSED" if missed else "met"
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms at {TARGET_RATE}/s offered: {verdict}")
    print(f"gunicorn log: {logged_errors} error lines{'; first: ' + first_logged if first_logged else ''}")

    driver = InProcess(specs)
    for _ in range(10):
        driver.send()
    print(f"\nin process (test Client, whole stack, no HTTP), {SAMPLE} events, by rewards issued per event:")
    print(
        f"  {'issued':>6s} {'events':>6s} {'statements':>10s} {'mean':>6s} {'SQL ms':>7s} {'COMMIT ms':>9s} "
        f"{'request ms':>10s}"
    )
    for group, s in sample_sql(driver).items():
        low, high = s["statements"]
        print(
            f"  {group:>6s} {s['events']:6d} {f'{low}-{high}':>10s} {s['mean_statements']:6.1f} {s['sql_ms']:7.2f} "
            f"{s['commit_ms']:9.2f} {s['request_ms']:10.2f}"
        )
    if FORCE_PROFILE or missed:
        total, parts, ours = profile(driver)
        print(f"\ncProfile of {PROFILE} events in process, ms per event (cumulative; profiling inflates Python):")
        print(f"  {'whole request':58s} {total:7.2f}")
        for _, _, label in PROFILED:
            if label in parts:
                print(f"  {label:58s} {parts[label]:7.2f}")
        print("  the project's functions by cumulative time:")
        for ms, where in ours:
            print(f"    {ms:7.2f} ms  {where}")

    rules = rule_evaluation(specs)
    print(
        f"\nrule evaluation on {rules['events']} events of the run ({rules['rules']} live rules per tenant, "
        f"{rules['matches_per_event']:.2f} true per event; features as ingest computes them, "
        f"{rules['features_ms']:.2f} ms of SQL per event):"
    )
    print(f"  compiled (loyalty.rules)    {rules['compiled_us']:8.2f} µs per event")
    print(
        f"  panzi-json-logic            {rules['panzi_us']:8.2f} µs per event "
        f"({rules['panzi_us'] / rules['compiled_us']:.1f}x); disagreements: {rules['disagreements']}"
    )

    found = totals()
    print(
        f"\nevents ingested {found['events']} (plus {found['history']} seeded history), customers enrolled by "
        f"events {found['enrolled']}, issuances by reward type {found['issuances']}, points entries "
        f"{found['points_entries']}"
    )
    problems = ledger_discrepancies()
    print("ledger_check:", "clean" if not problems else f"{len(problems)} discrepancies, e.g. {problems[0]}")
    if driver.failures:
        print(f"in-process failures: {len(driver.failures)}, e.g. {driver.failures[0]}")
    print(f"total {time.monotonic() - started:.0f} s (CI wait included)")
    shutil.rmtree(run_dir, ignore_errors=True)
    if problems or driver.failures or rules["disagreements"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
