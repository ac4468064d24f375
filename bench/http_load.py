"""Pamoja over HTTP against the bare Django app of ../shared/reference/limits.md §2, in one run, one load generator.

(Not named bench/http.py: every script here runs with bench/ first on its path, where a module named `http` would
shadow the standard library's, and Django with it, for all of them.)

Pairs (Pamoja endpoint / bare endpoint):
  transfer  `POST /api/v1/wallet/transfer/` (JWT, a fresh PIN token and Idempotency-Key per request, KYC limits, the
            recipient by email, KES 1.00 between random distinct users)  /  `POST /post` (transaction, a locking
            select of the lower id, two `update(F())`, a `bulk_create` of two entries, random distinct pairs)
  wallet    `GET /api/v1/wallet/` (JWT of a random user)  /  `GET /acct/<random pk>` (`get_object_or_404(...only())`)
  health    `GET /api/v1/health/`  /  `GET /ping`

Both servers: gunicorn, WORKERS sync workers, on PostgreSQL, DEBUG off. Pamoja runs as configured for production
(`config.wsgi`, every middleware, JSON access log to a file, Django's psycopg pool), with the throttles lifted (the
counters still run) and the sandbox providers (nothing here calls one). The bare app: no middleware, DRF with no
authentication, JSON only, `CONN_MAX_AGE=600`, tables `acct` (ACCOUNTS rows) and `entry` in its own database.
By default Pamoja has no Redis (local-memory cache, filesystem broker, in-memory channel layer); set REDIS_URL,
CELERY_BROKER_URL and CHANNEL_LAYER_URL (three Redis databases) to run it as production does.

Load: `wrk -t2 -c16 --latency`, a WARM_UP untimed, then SECONDS timed; ROUNDS rounds of every phase, the pair's two
servers one after the other. Printed per phase: req/s, p50/p99 ms, non-2xx answers, and CPU ms per request of the
gunicorn processes and of the PostgreSQL backends serving them (from /proc); per pair the ratio of the medians.
Afterwards Pamoja's books are proved (`ledger_discrepancies`) and its transfers counted against wrk's 2xx answers.

Needs wrk (`apt-get install wrk`) and a role that may create databases; makes (and drops first) DB and DB_bare:
    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_perf_http .venv/bin/python bench/http_load.py \
        [--rounds N] [--seconds S] [--only transfer,wallet,health]
"""

import argparse
import hashlib
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench_environment import production_environment, recreate_database

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_perf_http")
WORKERS = 2
CONNECTIONS, THREADS = 16, 2
WARM_UP = 3
USERS = 200  # Pamoja senders and recipients
ACCOUNTS = 100_000  # bare app
TOKENS_PER_PHASE = 12_000  # PIN tokens a transfer phase may spend (warm-up included)
PAMOJA_PORT, BARE_PORT = 8071, 8072

BARE_MODELS = """
from django.db import models


class Acct(models.Model):
    balance = models.DecimalField(max_digits=20, decimal_places=2)
    currency = models.CharField(max_length=3)

    class Meta:
        app_label = "bare"
        db_table = "acct"


class Entry(models.Model):
    acct = models.ForeignKey(Acct, on_delete=models.PROTECT)
    amount = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        app_label = "bare"
        db_table = "entry"
"""

BARE_WSGI = """
import os
from decimal import Decimal
from urllib.parse import urlsplit

import django
from django.conf import settings

url = urlsplit(os.environ["BARE_DATABASE_URL"])
settings.configure(
    DEBUG=False,
    SECRET_KEY="bare",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "bare"],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"), "USER": url.username,
        "HOST": url.hostname, "PORT": url.port or 5432, "CONN_MAX_AGE": 600,
    }},
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402

from bare.models import Acct, Entry  # noqa: E402


@api_view(["GET"])
def ping(request):
    return Response({"status": "ok"})


@api_view(["GET"])
def acct(request, pk):
    account = get_object_or_404(Acct.objects.only("id", "balance", "currency"), pk=pk)
    return Response({"id": account.pk, "balance": str(account.balance), "currency": account.currency})


@api_view(["POST"])
def post(request):
    low, high = sorted((int(request.data["a"]), int(request.data["b"])))
    amount = Decimal(request.data["amount"])
    with transaction.atomic():
        Acct.objects.select_for_update().get(pk=low)
        Acct.objects.filter(pk=low).update(balance=F("balance") - amount)
        Acct.objects.filter(pk=high).update(balance=F("balance") + amount)
        Entry.objects.bulk_create([Entry(acct_id=low, amount=-amount), Entry(acct_id=high, amount=amount)])
    return Response({"ok": True}, status=201)


urlpatterns = [path("ping", ping), path("acct/<int:pk>", acct), path("post", post)]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
"""

# wrk scripts. A thread reads its own share of a tab-separated file (one request per line) when one is given.
LUA_LINES = """
local counter, nthreads = 0, %(threads)d
id = 0  -- a global: setup() sets each thread's own
local lines = {}
setup = function(thread) thread:set("id", counter); counter = counter + 1 end
init = function(args)
  math.randomseed(os.time() + id * 7919)
  local n = 0
  if args[1] then
    for line in io.lines(args[1]) do
      if n %% nthreads == id then lines[#lines + 1] = line end
      n = n + 1
    end
  end
end
local next_line = 0
local function take()
  next_line = next_line + 1
  if next_line > #lines then next_line = 1 end
  local fields = {}
  for f in string.gmatch(lines[next_line], "[^\\t]+") do fields[#fields + 1] = f end
  return fields
end
"""
LUA = {
    "transfer": LUA_LINES
    + """
local nonce = tostring(os.time())
request = function()
  local f = take()  -- jwt, pin token, recipient email
  local body = '{"amount":"1.00","currency":"KES","recipient":"' .. f[3] .. '"}'
  return wrk.format("POST", "/api/v1/wallet/transfer/", {
    ["Authorization"] = "Bearer " .. f[1], ["X-Pin-Token"] = f[2], ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = nonce .. "-" .. id .. "-" .. next_line .. "-" .. math.random(1, 1000000000)}, body)
end
""",
    "wallet": LUA_LINES
    + """
request = function()
  local f = take()
  return wrk.format("GET", "/api/v1/wallet/", {["Authorization"] = "Bearer " .. f[1]})
end
""",
    "post": """
init = function(args) math.randomseed(os.time() + math.random(1, 100000)) end
request = function()
  local a = math.random(1, %(accounts)d)
  local b = math.random(1, %(accounts)d - 1)
  if b >= a then b = b + 1 end
  local body = '{"a":' .. a .. ',"b":' .. b .. ',"amount":"1.00"}'
  return wrk.format("POST", "/post", {["Content-Type"] = "application/json"}, body)
end
""",
    "acct": """
init = function(args) math.randomseed(os.time() + math.random(1, 100000)) end
request = function() return wrk.format("GET", "/acct/" .. math.random(1, %(accounts)d)) end
""",
}
PAIRS = {  # name: (Pamoja path or script, bare path or script)
    "transfer": ("transfer", "post"),
    "wallet": ("wallet", "acct"),
    "health": ("/api/v1/health/", "/ping"),
}


def database_url(suffix: str = "") -> str:
    parts = urlsplit(BENCH_URL)
    return urlunsplit(parts._replace(path=parts.path + suffix))


def psql(url: str, sql: str) -> str:
    """Run `sql` with psycopg against `url` (autocommit); the first column of the last row, as text."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        row = cursor.fetchone() if cursor.description else None
        return "" if row is None else str(row[0])


def recreate_databases() -> None:
    for url in (database_url(), database_url("_bare")):
        recreate_database(url)


def configure_environment(run_dir: str) -> None:
    """Production settings (bench_environment); both gunicorns inherit all of it."""
    production_environment(
        database_url=database_url(),
        run_dir=run_dir,  # notifications enqueue there
        BARE_DATABASE_URL=database_url("_bare"),
        LOG_LEVEL="INFO",  # production's: one JSON access line per request
        THROTTLE_USER="100000000/min",  # lifted, not removed: the counters still run
        THROTTLE_ANON="100000000/min",
        THROTTLE_RECIPIENT_LOOKUP="100000000/min",
        VELOCITY_LIMITS="{}",  # no limit; the velocity counts still run on every transfer
        VELOCITY_DEVICE_LIMITS="{}",
    )


def setup_pamoja() -> None:
    import logging
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic for a bench
    django.setup()
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, env=os.environ.copy()
    )


def seed_pamoja(data_dir: Path) -> list[tuple[str, str]]:
    """USERS verified tier-2 members with KES 1M each; returns (access token, email) per user."""
    from decimal import Decimal

    from accounts.authentication import SessionAccessToken
    from accounts.models import User
    from payments.models import AccountKind, TransactionKind
    from payments.services import Leg, get_house_account, get_wallet, post_transaction

    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    users = []
    for n in range(USERS):
        user = User.objects.create_user(
            f"bench{n}@example.com",
            None,  # no password (an unusable one): nobody signs in, and hashing 200 would take a minute
            first_name="Bench",
            last_name=str(n),
            phone_number=f"+2547{n:08d}",
            is_verified=True,
            kyc_tier=2,
        )
        wallet = get_wallet(user_id=user.pk, currency="KES")
        post_transaction(
            kind=TransactionKind.ADJUSTMENT,
            legs=[Leg(suspense, Decimal("-1000000.00")), Leg(wallet, Decimal("1000000.00"))],
            idempotency_key=f"bench-fund:{user.pk}",
        )
        users.append(user)
    (data_dir / "wallet.tsv").write_text("".join(f"{SessionAccessToken.for_user(u)}\t-\n" for u in users))
    return [(str(SessionAccessToken.for_user(u)), u.email) for u in users]


def transfer_requests(path: Path, people: list[tuple[str, str]], count: int) -> None:
    """`count` transfers between random distinct users, each with its own fresh PIN token."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import PinToken, User

    ids = {u.email: u.pk for u in User.objects.filter(email__startswith="bench")}
    rows, lines = [], []
    expires = timezone.now() + timedelta(hours=1)
    for _ in range(count):
        (jwt, sender), (_, recipient) = random.sample(people, 2)
        token = secrets.token_urlsafe(32)
        rows.append(
            PinToken(user_id=ids[sender], token_hash=hashlib.sha256(token.encode()).hexdigest(), expires_at=expires)
        )
        lines.append(f"{jwt}\t{token}\t{recipient}\n")
    PinToken.objects.bulk_create(rows, batch_size=2000)
    path.write_text("".join(lines))


def seed_bare(app_dir: Path) -> None:
    (app_dir / "bare").mkdir()
    (app_dir / "bare" / "__init__.py").write_text("")
    (app_dir / "bare" / "models.py").write_text(BARE_MODELS)
    (app_dir / "bare_wsgi.py").write_text(BARE_WSGI)
    url = database_url("_bare")
    psql(url, "CREATE TABLE acct (id bigserial PRIMARY KEY, balance numeric(20, 2) NOT NULL, currency varchar(3))")
    psql(
        url,
        "CREATE TABLE entry (id bigserial PRIMARY KEY, acct_id bigint NOT NULL REFERENCES acct (id), "
        "amount numeric(20, 2) NOT NULL)",
    )
    psql(url, "CREATE INDEX entry_acct_id ON entry (acct_id)")
    psql(url, f"INSERT INTO acct (balance, currency) SELECT 1000000000, 'KES' FROM generate_series(1, {ACCOUNTS})")  # noqa: S608
    psql(url, "VACUUM ANALYZE acct")


def start_gunicorn(app: str, port: int, log, chdir: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    command += ["--worker-class", "sync", "--timeout", "30", "--chdir", str(chdir), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=chdir, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited with {server.returncode}; see {log.name}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn {app} did not listen within 60 s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU of `pids` so far (processes that are gone count nothing)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def gunicorn_pids(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    return [server.pid, *map(int, children)]


def backend_pids(url: str) -> list[int]:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
        ).fetchall()
    return [pid for (pid,) in rows]


def transfer_count() -> int:
    from payments.models import Transfer

    return Transfer.objects.count()


def to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"wrk printed a latency this cannot read: {text!r}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match.group(2)]


def run_wrk(port: int, target: str, seconds: int, scripts: Path, data: Path | None) -> dict[str, float]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if target.startswith("/"):
        url = f"http://127.0.0.1:{port}{target}"
    else:
        script = scripts / f"{target}.lua"
        script.write_text(LUA[target] % {"threads": THREADS, "accounts": ACCOUNTS})
        command += ["-s", str(script)]
        url = f"http://127.0.0.1:{port}/"
    command.append(url)
    if data is not None:
        command += ["--", str(data)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rate": rate,
        "requests": total,
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--only", default=",".join(PAIRS))
    options = parser.parse_args()
    pairs = [name for name in options.only.split(",") if name]

    work = Path(tempfile.mkdtemp(prefix="pamoja-bench-http-"))
    configure_environment(str(work / "run"))
    recreate_databases()
    setup_pamoja()
    people = seed_pamoja(work)
    seed_bare(work)

    import django
    import gunicorn
    import psycopg
    import rest_framework

    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split()[1]  # noqa: S607
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs shared by both servers, PostgreSQL and wrk; load average {load}\n"
        f"Python {platform.python_version()}, Django {django.__version__}, DRF {rest_framework.__version__}, "
        f"psycopg {psycopg.__version__}, gunicorn {gunicorn.__version__}, "
        f"wrk {wrk}\n"
        f"gunicorn {WORKERS} sync workers each; wrk -t{THREADS} -c{CONNECTIONS}, {WARM_UP} s warm-up, "
        f"{options.seconds} s timed, {options.rounds} rounds; Pamoja cache: "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'local memory'}",
        flush=True,
    )
    logs = [open(work / "pamoja.log", "w"), open(work / "bare.log", "w")]  # noqa: SIM115 (closed below)
    pamoja = start_gunicorn("config.wsgi", PAMOJA_PORT, logs[0], ROOT)
    bare = start_gunicorn("bare_wsgi", BARE_PORT, logs[1], work)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    mismatched = 0  # timed transfer phases whose 2xx answers differ from the transfers made
    try:
        for round_ in range(options.rounds):
            for name in pairs:
                for side, (server, port, url) in enumerate(
                    ((pamoja, PAMOJA_PORT, database_url()), (bare, BARE_PORT, database_url("_bare")))
                ):
                    target = PAIRS[name][side]
                    data = warm = None
                    if target == "transfer":  # a PIN token is spent once: the warm-up has its own
                        warm, data = work / f"warm{round_}.tsv", work / f"transfer{round_}.tsv"
                        transfer_requests(warm, people, TOKENS_PER_PHASE // 3)
                        transfer_requests(data, people, TOKENS_PER_PHASE)
                    elif target == "wallet":
                        warm = data = work / "wallet.tsv"
                    run_wrk(port, target, WARM_UP, work, warm)
                    time.sleep(1)  # the warm-up's last requests finish on the server before anything is counted
                    before = transfer_count() if target == "transfer" else 0
                    app_pids, db_pids = gunicorn_pids(server), backend_pids(url)
                    app_cpu, db_cpu = cpu_seconds(app_pids), cpu_seconds(db_pids)
                    result = run_wrk(port, target, options.seconds, work, data)
                    time.sleep(1)  # requests still running when wrk stopped finish, unanswered
                    result["app_ms"] = (cpu_seconds(app_pids) - app_cpu) / result["requests"] * 1000
                    result["db_ms"] = (cpu_seconds(db_pids) - db_cpu) / result["requests"] * 1000
                    results.setdefault((name, "pamoja" if side == 0 else "bare"), []).append(result)
                    if target == "transfer":
                        made = transfer_count() - before
                        # requests still running when wrk stops complete on the server unanswered (at most one
                        # per connection); a 2xx answer without its transfer is the failure this looks for
                        answered = result["requests"] - result["non2xx"]
                        mismatched += not answered <= made <= answered + CONNECTIONS
                    print(
                        f"round {round_ + 1} {name:8} {'pamoja' if side == 0 else 'bare':6} {target:16} "
                        f"{result['rate']:8.1f} req/s  p50 {result['p50']:6.2f} ms  p99 {result['p99']:6.2f} ms  "
                        f"CPU/request app {result['app_ms']:5.2f} ms, PostgreSQL {result['db_ms']:5.2f} ms  "
                        f"non-2xx {result['non2xx']} {result['socket_errors']}",
                        flush=True,
                    )
    finally:
        stop_gunicorn(pamoja)
        stop_gunicorn(bare)
        for log in logs:
            log.close()

    print(
        "\n| endpoint | Pamoja req/s min / median / max | p50 / p99 ms | bare req/s min / median / max "
        "| p50 / p99 ms | ratio of medians | CPU per request app / PostgreSQL ms (Pamoja vs bare) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in pairs:
        ours, theirs = results[(name, "pamoja")], results[(name, "bare")]

        def spread(rows: list[dict[str, float]]) -> str:
            rates = sorted(r["rate"] for r in rows)
            return f"{rates[0]:,.0f} / **{statistics.median(rates):,.0f}** / {rates[-1]:,.0f}"

        def latency(rows: list[dict[str, float]]) -> str:
            return f"{statistics.median(r['p50'] for r in rows):.1f} / {statistics.median(r['p99'] for r in rows):.1f}"

        def cpu(rows: list[dict[str, float]]) -> str:
            return (
                f"{statistics.median(r['app_ms'] for r in rows):.1f} / "
                f"{statistics.median(r['db_ms'] for r in rows):.2f}"
            )

        ratio = statistics.median(r["rate"] for r in ours) / statistics.median(r["rate"] for r in theirs)
        print(
            f"| {name} | {spread(ours)} | {latency(ours)} | {spread(theirs)} | {latency(theirs)} | **{ratio:.2f}** "
            f"| {cpu(ours)} vs {cpu(theirs)} |"
        )

    from payments.models import Transfer
    from payments.selectors import ledger_discrepancies

    problems = ledger_discrepancies()
    books = "clean" if not problems else f"{len(problems)} discrepancies, first: {problems[0]}"
    print(
        f"\ntransfers made: {Transfer.objects.count():,}; timed phases whose 2xx answers do not match the "
        f"transfers made: {mismatched}; ledger_check: {books}"
    )
    print(f"logs: {work}")


if __name__ == "__main__":
    main()
