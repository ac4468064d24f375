"""The whole platform under a mixed load: gunicorn on PostgreSQL with Redis, an asyncio client (httpx) on this
machine, for a fixed time; throughput and p50/p95/p99 per endpoint, the errors, then `ledger_check`.

The server runs as configured for production (`config.wsgi`, gunicorn with WORKERS sync workers as the Procfile
starts it, DEBUG off, every middleware, JSON access log into a file, Django's psycopg pool), with Redis as cache,
channel layer and Celery broker (REDIS_URL, one database index of its own, emptied before and after the run; no
Celery worker runs, so notifications are only enqueued), the sandbox providers (VTPass's offline sandbox answers a
bill order inside the request), velocity limits off and throttles lifted but counting (`http_load.py`'s settings).

World (built in this process before the server starts): USERS verified KYC-tier-2 members, each with KES 1M and
NGN 1M (balanced postings from SUSPENSE), the first SIGN_IN_USERS of them with a real password (the production
hasher); USERS / GROUP_SIZE running weekly chamas (KES 100 a cycle, GROUP_SIZE cycles, so each member owes
GROUP_SIZE contributions, payable ahead); VTPass's catalog; the loyalty world of `bench/loyalty.py` (5 tenants with
the 10 rules of `bench/loyalty_rules.py`, budgets, rewards, an API key each, 1,000 customers each with history).

Load: CLIENTS closed-loop clients, each owning USERS / CLIENTS members (so no two requests of one member's money
run at once), sending its next request when the last is answered, each request drawn from MIX:
  sign-in       `POST auth/login/` (email and password: a PBKDF2 hash check)
  wallet        `GET wallet/`
  transactions  `GET wallet/transactions/`
  transfer      `POST wallet/transfer/`, KES 10-500 to a random other member by email
  contribution  `POST contributions/{id}/pay/` from the wallet, the member's oldest unpaid contribution
  bill          `POST bills/orders/`, MTN airtime NGN 50-500 to VTPass's delivering test phone
  loyalty       `POST loyalty/tenants/{tid}/events/`, an event of `bench/loyalty.py`'s mix, signed with the API key
Money requests carry a fresh Idempotency-Key and a single-use PIN token, minted into the database beforehand as
`http_load.py` does (an app gets one from `auth/pin/verify/`, a hash check like sign-in's; not in the mix). Every
request is a JWT bearer's but the loyalty event (API key and signature) and sign-in. WARM_UP seconds untimed first.

Printed: per endpoint requests, req/s, p50/p95/p99/max ms and errors (non-2xx, a transport error, or a bill order
answered 201 but not delivered), the errors by endpoint and status with a sample body, the rows made against the
2xx answers, then `manage.py ledger_check` on the bench database. Exits 1 on any error, mismatch or discrepancy.

    make bench    (or:)
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench_load BENCH_REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python bench/load.py [--seconds 20] [--clients 8]
The role needs CREATEDB: the database is dropped (if there) and made afresh.
"""

# Named load.py, not after a standard-library module: bench/ is first on sys.path when a script here runs.

import argparse
import asyncio
import hashlib
import importlib.util
import json
import math
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import http_load  # bench/http_load.py: the production-like settings, migrate, gunicorn start and stop
from bench_environment import recreate_database

ROOT = http_load.ROOT  # http_load put the project ahead of bench/ on sys.path
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench_load")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
USERS = 200
SIGN_IN_USERS = 10
GROUP_SIZE = 10
CONTRIBUTION = Decimal("100.00")
FUNDS = Decimal("1000000.00")
PASSWORD = "bench-load-password"  # noqa: S105 (a throwaway world's)
PHONE = "08011111111"  # VTPass's test phone: delivered
WARM_UP = 3.0
TIMEOUT = 60.0
SEED = 20261130
API = "/api/v1/"
# endpoint: share of requests (per cent). Reads dominate as in a wallet app; sign-ins are rare (tokens live 15 min).
MIX = {
    "sign-in": 2,
    "wallet": 28,
    "transactions": 20,
    "transfer": 14,
    "contribution": 8,
    "bill": 10,
    "loyalty event": 18,
}
MONEY = ("transfer", "contribution", "bill")


def import_bench(name: str) -> Any:
    """A sibling bench script under another module name (bench/loyalty.py would shadow the `loyalty` app), its
    command-line reading kept away from ours."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    argv, sys.argv = sys.argv, sys.argv[:1]
    try:
        spec.loader.exec_module(module)
    finally:
        sys.argv = argv
    return module


bench_loyalty = import_bench("loyalty")


def flush_redis() -> tuple[int, int]:
    """Empty the bench's Redis database; (keys, Celery messages) it held."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys, queued = client.dbsize(), client.llen("celery")
    client.flushdb()
    return keys, queued


def configure_environment(run_dir: str) -> None:
    http_load.BENCH_URL = BENCH_URL  # its DATABASE_URL is this database
    http_load.configure_environment(run_dir)
    os.environ.update(
        {
            "REDIS_URL": REDIS_URL,  # cache and channel layer
            "CELERY_BROKER_URL": REDIS_URL,
            "THROTTLE_AUTH": "100000000/min",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        }
    )


# --- the world ------------------------------------------------------------------------------------------------------


@dataclass
class Member:
    pk: Any
    email: str
    bearer: str = ""
    pins: deque = field(default_factory=deque)
    contributions: deque = field(default_factory=deque)  # ids, oldest due first


def seed_members() -> list[Member]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from payments.models import AccountKind, TransactionKind
    from payments.services import Leg, get_house_account, get_wallet, post_transaction

    password = make_password(PASSWORD)  # one hash (a salt shared by the sign-in users: it is a bench)
    members = []
    for n in range(USERS):
        user = User.objects.create(
            email=f"load{n}@bench.invalid",
            first_name="Load",
            last_name=str(n),
            phone_number=f"+2547{n:08d}",
            is_verified=True,
            kyc_tier=2,
            password=password if n < SIGN_IN_USERS else "!",
        )
        for currency in ("KES", "NGN"):
            suspense = get_house_account(kind=AccountKind.SUSPENSE, currency=currency)
            wallet = get_wallet(user_id=user.pk, currency=currency)
            post_transaction(
                kind=TransactionKind.ADJUSTMENT,
                legs=[Leg(suspense, -FUNDS), Leg(wallet, FUNDS)],
                idempotency_key=f"bench-fund:{user.pk}:{currency}",
            )
        members.append(Member(user.pk, user.email))
    return members


def seed_chamas(members: list[Member]) -> None:
    """Running weekly chamas of GROUP_SIZE members; each member's contributions queued oldest first."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from accounts.models import User
    from contributions.models import Contribution
    from groups.models import Membership
    from groups.services import create_group, join_group, start_group

    users = {u.pk: u for u in User.objects.filter(email__startswith="load")}
    tomorrow = timezone.localdate(timezone=ZoneInfo("Africa/Nairobi")) + timedelta(days=1)
    for g in range(len(members) // GROUP_SIZE):
        people = members[g * GROUP_SIZE : (g + 1) * GROUP_SIZE]
        group = create_group(
            creator=users[people[0].pk],
            fields={
                "name": f"Load chama {g}",
                "kind": "chama",
                "currency": "KES",
                "time_zone": "Africa/Nairobi",
                "contribution_amount": CONTRIBUTION,
                "frequency": "weekly",
                "start_date": tomorrow,
                "member_limit": GROUP_SIZE,
                "payout_order": "join",
                "security_deposit": Decimal("0.00"),
                "registration_fee": Decimal("0.00"),
                "penalty_kind": "none",
                "service_fee_percent": Decimal("1.00"),
                "default_policy": "payout_waits",
            },
        )
        for person in people[1:]:
            join_group(user=users[person.pk], invite_code=group.invite_code)
        start_group(actor=Membership.objects.get(group=group, user_id=people[0].pk))
    by_user = {m.pk: m for m in members}
    for pk, user_id in Contribution.objects.filter(status="pending").values_list("pk", "membership__user_id"):
        by_user[user_id].contributions.append(pk)  # the model's ordering: oldest due first


def mint(members: list[Member], per_member: int) -> None:
    """Access tokens, and `per_member` fresh PIN tokens each (as auth/pin/verify/ issues them)."""
    from django.utils import timezone

    from accounts.authentication import SessionAccessToken
    from accounts.models import PinToken, User

    users = {u.pk: u for u in User.objects.filter(email__startswith="load")}
    expires = timezone.now() + timedelta(hours=1)
    rows = []
    for member in members:
        member.bearer = f"Bearer {SessionAccessToken.for_user(users[member.pk])}"
        for _ in range(per_member):
            token = secrets.token_urlsafe(32)
            member.pins.append(token)
            digest = hashlib.sha256(token.encode()).hexdigest()
            rows.append(PinToken(user_id=member.pk, token_hash=digest, expires_at=expires))
    PinToken.objects.bulk_create(rows, batch_size=2000)


# --- the load -------------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    endpoint: str
    began: float
    seconds: float
    status: int | str
    ok: bool
    body: str = ""


class Client:
    """One closed-loop client over its own members."""

    def __init__(self, index: int, members: list[Member], everyone: list[Member], tenants: list, http) -> None:
        self.rng = random.Random(SEED + index)
        self.members = members
        self.everyone = everyone
        self.tenants = tenants
        self.http = http
        self.month = time.gmtime().tm_mon
        self.answers: list[Answer] = []
        self.short: Counter[str] = Counter()  # draws that fell back to a wallet read (no contribution or PIN left)

    def request(self, endpoint: str) -> tuple[str, str, dict[str, str], bytes | None]:
        """(endpoint, method and path, headers, body) for a draw of `endpoint`."""
        member = self.rng.choice(self.members)
        if endpoint == "contribution":
            owing = [m for m in self.members if m.contributions and m.pins]
            if not owing:
                self.short[endpoint] += 1
                endpoint = "wallet"
            else:
                member = self.rng.choice(owing)
        if endpoint in MONEY and not member.pins:
            self.short[endpoint] += 1
            endpoint = "wallet"
        headers = {"Authorization": member.bearer}
        money = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}
        if endpoint == "sign-in":
            signer = self.everyone[self.rng.randrange(SIGN_IN_USERS)]
            body = json.dumps({"email": signer.email, "password": PASSWORD}).encode()
            return endpoint, "POST auth/login/", {"Content-Type": "application/json"}, body
        if endpoint == "wallet":
            return endpoint, "GET wallet/", headers, None
        if endpoint == "transactions":
            return endpoint, "GET wallet/transactions/", headers, None
        if endpoint == "loyalty event":
            spec = self.rng.choice(self.tenants)
            body = json.dumps(bench_loyalty.make_event(self.rng, spec, self.month)).encode()
            return endpoint, f"POST {spec.path[len(API) :]}", bench_loyalty.signed_headers(spec, body), body
        headers |= money | {"X-Pin-Token": member.pins.popleft()}
        if endpoint == "transfer":
            recipient = self.rng.choice(self.everyone)
            while recipient is member:
                recipient = self.rng.choice(self.everyone)
            amount = f"{self.rng.randint(10, 500)}.00"
            body = json.dumps({"amount": amount, "currency": "KES", "recipient": recipient.email}).encode()
            return endpoint, "POST wallet/transfer/", headers, body
        if endpoint == "contribution":
            body = json.dumps({"source": "wallet"}).encode()
            return endpoint, f"POST contributions/{member.contributions.popleft()}/pay/", headers, body
        body = json.dumps({"service": "mtn", "customer_id": PHONE, "amount": str(self.rng.randint(50, 500))}).encode()
        return "bill", "POST bills/orders/", headers, body

    async def run(self, until: float) -> None:
        import httpx

        names, weights = list(MIX), list(MIX.values())
        while time.perf_counter() < until:
            endpoint, target, headers, body = self.request(self.rng.choices(names, weights)[0])
            method, path = target.split(" ", 1)
            began = time.perf_counter()
            try:
                response = await self.http.request(method, API + path, headers=headers, content=body)
            except httpx.HTTPError as exc:
                self.answers.append(
                    Answer(endpoint, began, time.perf_counter() - began, type(exc).__name__, False, str(exc)[:200])
                )
                continue
            seconds = time.perf_counter() - began
            ok = 200 <= response.status_code < 300
            if ok and endpoint == "bill" and response.json().get("status") != "delivered":
                ok = False  # a bill answered but not delivered: the sandbox phone always delivers
            self.answers.append(
                Answer(endpoint, began, seconds, response.status_code, ok, "" if ok else response.text[:300])
            )


async def drive(clients: list[Client], port: int, seconds: float) -> tuple[float, float]:
    """Every client until WARM_UP + seconds from now; (start, end) of the timed window."""
    import httpx

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        limits=httpx.Limits(max_connections=len(clients), max_keepalive_connections=len(clients)),
        timeout=httpx.Timeout(TIMEOUT),
        headers={"User-Agent": "pamoja-bench-load"},
    ) as http:
        for client in clients:
            client.http = http
        began = time.perf_counter()
        start, end = began + WARM_UP, began + WARM_UP + seconds
        await asyncio.gather(*(client.run(end) for client in clients))
    return start, end


def percentile(cuts: list[float], p: int) -> float:
    return cuts[p - 1] if cuts else math.nan


def report(answers: list[Answer], start: float, end: float) -> int:
    """The table per endpoint (answers sent in the timed window); the number of errors in the whole run."""
    timed = [a for a in answers if start <= a.began < end]
    wall = max(end, max((a.began + a.seconds for a in timed), default=end)) - start
    print("\n| endpoint | share | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for endpoint in [*MIX, "all"]:
        rows = [a for a in timed if endpoint in ("all", a.endpoint)]
        ms = sorted(1000 * a.seconds for a in rows)
        cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else []
        share = f"{100 * len(rows) / max(1, len(timed)):.0f} %"
        print(
            f"| {endpoint} | {share} | {len(rows):,} | {len(rows) / wall:,.1f} | {percentile(cuts, 50):,.1f} "
            f"| {percentile(cuts, 95):,.1f} | {percentile(cuts, 99):,.1f} | {ms[-1] if ms else math.nan:,.1f} "
            f"| {sum(not a.ok for a in rows)} |"
        )
    errors = Counter((a.endpoint, str(a.status)) for a in answers if not a.ok)
    print(f"\nerrors in the whole run (warm-up included): {sum(errors.values())}")
    for (endpoint, status), count in errors.most_common():
        sample = next(a.body for a in answers if not a.ok and a.endpoint == endpoint and str(a.status) == status)
        print(f"  {endpoint} {status}: {count}  e.g. {sample}")
    return sum(errors.values())


def rows_made(answers: list[Answer]) -> int:
    """Rows the run made against its 2xx answers (warm-up included; every request was answered before the server
    stopped); the number of endpoints that differ."""
    from billpay.models import BillOrder
    from contributions.models import Contribution
    from payments.models import Transfer

    answered = Counter(a.endpoint for a in answers if a.ok)
    made = {
        "transfer": Transfer.objects.count(),
        "contribution": Contribution.objects.filter(status="paid").count(),
        "bill": BillOrder.objects.filter(status="delivered").count(),
        "loyalty event": run_events(),
    }
    print("rows made / 2xx answers: " + ", ".join(f"{k} {v:,} / {answered[k]:,}" for k, v in made.items()))
    return sum(made[k] != answered[k] for k in made)


def run_events() -> int:
    """Loyalty events the run made (every tenant's: the table is behind row-level security)."""
    from loyalty.models import Event
    from loyalty.tenancy import all_tenants

    with all_tenants():
        return Event.objects.exclude(idempotency_key__startswith="history-").count()


def ledger_check() -> int:
    command = [sys.executable, "manage.py", "ledger_check"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=os.environ.copy(), check=False)  # noqa: S603
    print(f"\n$ manage.py ledger_check (exit {done.returncode})\n{(done.stdout + done.stderr).strip()}")
    return done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help=f"timed load (after a {WARM_UP:.0f} s warm-up)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent closed-loop clients")
    options = parser.parse_args()
    if USERS % options.clients:
        parser.error(f"--clients must divide {USERS}")

    work = Path(tempfile.mkdtemp(prefix="pamoja-bench-load-"))
    configure_environment(str(work / "run"))
    recreate_database(BENCH_URL)
    flush_redis()
    began = time.monotonic()
    http_load.setup_pamoja()  # django.setup, logs silenced, migrate

    import django
    import gunicorn
    import httpx
    import psycopg
    import rest_framework

    from billpay.services import sync_catalog

    sync_catalog()
    members = seed_members()
    seed_chamas(members)
    tenants = bench_loyalty.seed()
    mint(members, per_member=max(40, math.ceil(options.seconds * 6)))
    http_load.psql(BENCH_URL, "VACUUM ANALYZE")
    seeded = time.monotonic() - began

    pg = http_load.psql(BENCH_URL, "SELECT current_setting('server_version')")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs shared by gunicorn, PostgreSQL {pg}, Redis and the load "
        f"generator; load average {load} before the load\n"
        f"Python {platform.python_version()}, Django {django.__version__}, DRF {rest_framework.__version__}, "
        f"psycopg {psycopg.__version__}, gunicorn {gunicorn.__version__} ({http_load.WORKERS} sync workers), "
        f"httpx {httpx.__version__}\n"
        f"world built in {seeded:.0f} s: {USERS} members in {USERS // GROUP_SIZE} chamas, "
        f"{len(tenants)} loyalty tenants; {options.clients} closed-loop clients, {WARM_UP:.0f} s warm-up, "
        f"{options.seconds:.0f} s timed",
        flush=True,
    )
    per_client = USERS // options.clients
    clients = [
        Client(i, members[i * per_client : (i + 1) * per_client], members, tenants, None)
        for i in range(options.clients)
    ]
    port = bench_loyalty.free_port()
    log = open(work / "gunicorn.log", "w")  # noqa: SIM115 (closed below)
    server = http_load.start_gunicorn("config.wsgi", port, log, ROOT)
    try:
        start, end = asyncio.run(drive(clients, port, options.seconds))
    finally:
        http_load.stop_gunicorn(server)
        log.close()
    print(f"load average after the load {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    answers = [a for c in clients for a in c.answers]
    errors = report(answers, start, end)
    short = sum((c.short for c in clients), Counter())
    if short:
        print(f"draws that fell back to a wallet read (nothing left to pay, or no PIN token): {dict(short)}")
    mismatched = rows_made(answers)
    status = ledger_check()
    keys, queued = flush_redis()
    print(f"Redis {REDIS_URL}: {keys} keys, {queued} Celery messages waiting (no worker ran); emptied")
    print(f"logs: {work}")
    if errors or mismatched or status:
        sys.exit(1)


if __name__ == "__main__":
    main()
