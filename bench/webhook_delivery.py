"""Merchants' outbound webhooks: how many deliveries a second the real delivery code makes to a local receiver.

Setup: its own PostgreSQL database (dropped and made again, migrated), one tenant with one endpoint subscribed to
every event type, in sandbox mode (`LOYALTY_WEBHOOKS_ALLOW_PRIVATE`: the receiver is on 127.0.0.1). The receiver
is the standard library's `ThreadingHTTPServer` in a thread of this process, speaking HTTP/1.1 keep-alive; it
verifies every delivery's signature with the `standardwebhooks` library, as a merchant's server would, and
answers 204.

Phases:
  publish   N messages through `publish` (one `WebhookMessage` and one `EndpointDelivery` each, a transaction per
            message, as a service emitting an event does; the on-commit enqueue goes to a throwaway broker folder)
  deliver   the N deliveries through `deliver` (claim under a row lock, signed POST with no transaction open,
            record the attempt), one after another, then again (fresh messages) with THREADS threads, each with
            its own database connection, as THREADS Celery workers would

2 CPUs here: PostgreSQL, the receiver and the sender share them, so the figures are a floor.

    BENCH_DATABASE_URL=postgres://pamoja@127.0.0.1:5432/pamoja_bench_webhooks \
        .venv/bin/python bench/webhook_delivery.py [N] [THREADS]
"""

# The project's modules are imported inside the functions: the script first points Django at its own database.

import os
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench_environment import production_environment, recreate_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://pamoja@127.0.0.1:5432/pamoja_bench_webhooks")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 4


def configure_environment(run_dir: str) -> None:
    production_environment(
        database_url=BENCH_URL,
        run_dir=run_dir,  # the on-commit enqueues land there, unused
        LOYALTY_WEBHOOKS_ALLOW_PRIVATE="true",  # the receiver listens on 127.0.0.1
        LOG_LEVEL="WARNING",
    )


class Receiver:
    """A merchant's server: verifies each delivery's signature, answers 204."""

    def __init__(self) -> None:
        self.secret = ""
        self.verified = 0
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                from standardwebhooks.webhooks import Webhook, WebhookVerificationError

                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    ok = True
                except WebhookVerificationError:
                    ok = False
                with receiver.lock:
                    if ok:
                        receiver.verified += 1
                    else:
                        receiver.refused += 1
                self.send_response(204 if ok else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pamoja"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def main() -> None:
    configure_environment(tempfile.mkdtemp(prefix="webhook-bench-"))
    recreate_database(BENCH_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from loyalty.models import EndpointDelivery, StaffRole, Tenant, TenantStaff, WebhookEventType
    from loyalty.services import webhooks
    from loyalty.tenancy import tenant_context

    call_command("migrate", verbosity=0)
    receiver = Receiver()
    owner = User.objects.create_user(email="bench@example.com", password=secrets.token_hex(16))
    tenant_id = "6f1c2d9e-0000-4000-8000-000000000001"
    with tenant_context(tenant_id):
        tenant = Tenant.objects.create(
            id=tenant_id, name="Bench shop", currency="KES", time_zone="Africa/Nairobi", created_by=owner
        )
        TenantStaff.objects.create(tenant=tenant, user=owner, role=StaffRole.ADMIN)
        made = webhooks.create_endpoint(tenant=tenant, url=receiver.url, events=list(WebhookEventType.values))
    receiver.secret = made.secret

    def publish(count: int) -> tuple[list[int], float]:
        began = time.perf_counter()
        for n in range(count):
            with tenant_context(tenant_id):
                webhooks.publish(
                    tenant=tenant,
                    event_type=WebhookEventType.REWARD_ISSUED,
                    payload={"issuance_id": n, "customer_id": n % 500, "cost": "10.00", "currency": "KES"},
                )
        took = time.perf_counter() - began
        with tenant_context(tenant_id):
            ids = list(
                EndpointDelivery.objects.filter(state="pending").order_by("pk").values_list("pk", flat=True)[:count]
            )
        return ids, took

    def deliver_one(delivery_id: int) -> str:
        done = webhooks.deliver(tenant_id=tenant_id, delivery_id=delivery_id)
        return done.state if done is not None else "skipped"

    def deliver_in_thread(delivery_id: int) -> str:
        try:
            return deliver_one(delivery_id)
        finally:
            connection.close()  # each worker thread's own connection

    print(f"webhook delivery bench: N={N}, threads={THREADS}, receiver {receiver.url}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for _ in range(20):  # warm-up: the HTTP connection pool, the first queries
        deliver_one(publish(1)[0][0])

    ids, took = publish(N)
    print(f"publish   {N} messages in {took:.2f} s: {N / took:,.0f} messages/s ({took / N * 1000:.2f} ms each)")

    began = time.perf_counter()
    states = [deliver_one(pk) for pk in ids]
    took = time.perf_counter() - began
    ok = states.count("succeeded")
    print(
        f"deliver   sequential: {ok}/{N} succeeded in {took:.2f} s: {N / took:,.0f} deliveries/s "
        f"({took / N * 1000:.2f} ms each)"
    )

    ids, _ = publish(N)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        began = time.perf_counter()
        states = list(pool.map(deliver_in_thread, ids))
        took = time.perf_counter() - began
    ok = states.count("succeeded")
    print(f"deliver   {THREADS} threads: {ok}/{N} succeeded in {took:.2f} s: {N / took:,.0f} deliveries/s")
    print(f"receiver  verified {receiver.verified} signatures, refused {receiver.refused}")
    receiver.server.shutdown()
    if receiver.refused or ok != N:
        sys.exit(1)


if __name__ == "__main__":
    main()
