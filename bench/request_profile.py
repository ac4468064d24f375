"""Where the time of one request goes: the three requests of bench/http_load.py, in process, under cProfile.

Sets up the same database, settings and users as bench/http_load.py (production settings, DEBUG off, PostgreSQL),
then calls the WSGI application directly (no network, no gunicorn) REQUESTS times per endpoint and prints, per
endpoint: wall ms and SQL statements per request, then the functions with the most own time.

    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_perf_profile .venv/bin/python bench/request_profile.py \
        [--requests N] [--only transfer,wallet,health] [--top 25] [--no-profile]
"""

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import http_load

REQUESTS = 500


def wsgi_caller():
    from io import BytesIO

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": BytesIO(body),
            "wsgi.url_scheme": "http",
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
        }
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        status = []
        response = application(environ, lambda s, h, *a: status.append(s))
        b"".join(response)
        if hasattr(response, "close"):
            response.close()
        return int(status[0].split()[0])

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--only", default="transfer,wallet,health")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pamoja-bench-profile-"))
    http_load.configure_environment(str(work / "run"))
    http_load.recreate_databases()
    http_load.setup_pamoja()
    people = http_load.seed_pamoja(work)

    from django.db import connection

    call = wsgi_caller()
    count = options.requests
    for name in options.only.split(","):
        if name == "transfer":
            path = work / "transfers.tsv"
            http_load.transfer_requests(path, people, count + 20)
            rows = [line.split("\t") for line in path.read_text().splitlines()]

            def requests(rows=rows):
                for jwt, pin, recipient in rows:
                    body = json.dumps({"recipient": recipient, "amount": "1.00", "currency": "KES"}).encode()
                    yield (
                        "POST",
                        "/api/v1/wallet/transfer/",
                        body,
                        {
                            "Authorization": f"Bearer {jwt}",
                            "X-Pin-Token": pin,
                            "Idempotency-Key": http_load.secrets.token_hex(16),
                        },
                    )
        elif name == "wallet":

            def requests():
                for _ in range(count + 20):
                    yield "GET", "/api/v1/wallet/", b"", {"Authorization": f"Bearer {random.choice(people)[0]}"}
        else:

            def requests():
                for _ in range(count + 20):
                    yield "GET", "/api/v1/health/", b"", {}

        stream = requests()
        for _ in range(20):  # warm-up
            call(*next(stream))
        queries: list[str] = []

        def record(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):  # Django resets connection.queries when a request starts
            assert call(*next(stream)) < 300
        batch = list(stream)
        profile = cProfile.Profile()
        if options.no_profile:  # best of three thirds: the machine's noise is one-sided
            third = len(batch) // 3
            elapsed = app_cpu = db_cpu = float("inf")
            statuses = []
            for part in (batch[:third], batch[third : 2 * third], batch[2 * third : 3 * third]):
                backends = http_load.backend_pids(http_load.database_url())
                db_before, app_before = http_load.cpu_seconds(backends), time.process_time()
                started = time.perf_counter()
                statuses += [call(*request) for request in part]
                elapsed = min(elapsed, (time.perf_counter() - started) / len(part))
                app_cpu = min(app_cpu, (time.process_time() - app_before) / len(part))
                db_cpu = min(db_cpu, (http_load.cpu_seconds(backends) - db_before) / len(part))
        else:
            started = time.perf_counter()
            profile.enable()
            statuses = [call(*request) for request in batch]
            profile.disable()
            elapsed = time.perf_counter() - started
        bad = sum(s >= 300 for s in statuses)
        if options.no_profile:
            figures = (
                f"wall {elapsed * 1000:.2f} ms, CPU app {app_cpu * 1000:.2f} ms + PostgreSQL {db_cpu * 1000:.2f} ms "
                "per request (best third)"
            )
        else:
            figures = f"{elapsed / len(batch) * 1000:.2f} ms per request under cProfile"
        print(f"\n== {name}: {figures}, {len(queries)} SQL statements, {bad} non-2xx")
        for query in queries:
            print("   ", query[:200])
        if not options.no_profile:
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(options.top)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(options.top * 2)
            print(out.getvalue())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
