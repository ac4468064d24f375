"""`make run` from this checkout: web, worker and beat come up on the embedded defaults, and Ctrl-C stops them."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def call(method: str, url: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    request.add_header("Idempotency-Key", str(uuid.uuid4()))
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def deposit_through_the_running_sandbox(base: str) -> None:
    """The web process, the worker and the sandbox together: the worker delivers the signed webhook over HTTP."""
    status, login = call(
        "POST", f"{base}/api/v1/auth/login/", {"email": "amina@pamoja.local", "password": "pamoja-member-demo"}
    )
    assert status == 200, login
    token = login["access"]
    funded = {
        w["currency"]: Decimal(w["balance"]) for w in call("GET", f"{base}/api/v1/wallet/", token=token)[1]["wallets"]
    }
    status, card = call(
        "POST",
        f"{base}/api/v1/wallet/deposit/",
        {"amount": "1200.00", "currency": "NGN", "provider": "paystack"},
        token,
    )
    assert status == 201 and card["authorization_url"].startswith(base), card
    status, _ = call("POST", f"{base}/sandbox/paystack/charges/{card['reference']}/complete/", {"outcome": "success"})
    assert status == 202
    status, stk = call(
        "POST",
        f"{base}/api/v1/wallet/deposit/",
        {"amount": "500", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"},
        token,
    )
    assert status == 201, stk
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [
            call("GET", f"{base}/api/v1/wallet/deposits/{ref}/", token=token)[1]["status"]
            for ref in (card["reference"], stk["reference"])
        ]
        if states == ["succeeded", "succeeded"]:
            break
        time.sleep(1)
    assert states == ["succeeded", "succeeded"]
    wallets = call("GET", f"{base}/api/v1/wallet/", token=token)[1]["wallets"]
    balances = {w["currency"]: Decimal(w["balance"]) for w in wallets}
    # the demo world funds Amina's wallets; the two deposits add to them
    assert balances == {"KES": funded.get("KES", 0) + 500, "NGN": funded.get("NGN", 0) + 1200}


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_serves_docs_admin_and_ready_then_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "REDIS_", "REPLICA_", "PYTEST_", "DJANGO_"))
    }
    env.update(
        DEBUG="true",
        PORT=str(port),
        HOST="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}",
        RUN_DIR=str(tmp_path / "run"),
    )
    log_path = tmp_path / "make-run.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = get(f"{base}/api/v1/ready/")
            except OSError:
                status = None
            if status == 200:
                break
            time.sleep(1)
        output = log_path.read_text()
        assert status == 200, f"ready never answered 200:\n{output[-4000:]}"

        docs_status, docs = get(f"{base}/api/docs/")
        assert docs_status == 200 and "swagger-ui" in docs
        admin_status, admin = get(f"{base}/admin/login/")
        assert admin_status == 200 and 'name="password"' in admin

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            output = log_path.read_text()
            if "ready." in output and "beat: Starting" in output:
                break
            time.sleep(1)
        assert "celery@" in output and "ready." in output, output[-4000:]
        assert "beat: Starting" in output, output[-4000:]
        assert "API docs:" in output and "Admin login: admin@pamoja.local" in output
        deposit_through_the_running_sandbox(base)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        try:
            process.wait(timeout=60)
        finally:
            deadline = time.monotonic() + 30
            while group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            stopped = not group_alive(process.pid)
            if not stopped:
                os.killpg(process.pid, signal.SIGKILL)
    assert stopped, "make run left processes behind after Ctrl-C"
