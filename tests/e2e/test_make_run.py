"""`make run` from this checkout: web, worker and beat come up on the embedded defaults, every process writes the
same JSON log lines (UTC), and Ctrl-C stops them within seconds with no ERROR line."""

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
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


# what every line has (config/logging.py JsonFormatter; the runner config/procfile.py adds `process`)
LOG_KEYS = {"process", "level", "logger", "message", "request_id", "user_id", "time"}
PROCESSES = {"web", "worker", "beat", "ws", "run"}  # the Procfile's four and the runner


def json_log_lines(lines: list[str]) -> list[dict]:
    records = []
    for line in lines:
        # make's own word on its interrupted target (`make[1]:` when `make test` runs this: make within make)
        if not line.strip() or re.match(r"make(\[\d+\])?: \*\*\*", line):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON log line: {line[:300]!r}")
        assert isinstance(record, dict), line[:300]
        assert set(record) >= LOG_KEYS, f"missing {LOG_KEYS - set(record)}: {line[:300]}"
        stamp = datetime.fromisoformat(record["time"])
        assert stamp.utcoffset() == timedelta(0), f"not UTC: {line[:300]}"
        records.append(record)
    return records


def process_log_lines(output: str) -> list[dict]:
    """The lines after the runner starts (before it: make's own echo and migrate's words), each a JSON object."""
    marker = "python -m config.procfile"
    assert marker in output, output[-4000:]
    return json_log_lines(output.split(marker, 1)[1].splitlines()[1:])


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
        before_stop = len(log_path.read_text().splitlines())
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        stop_started = time.monotonic()
        try:
            process.wait(timeout=60)
            stop_seconds = time.monotonic() - stop_started
        finally:
            deadline = time.monotonic() + 30
            while group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.5)
            stopped = not group_alive(process.pid)
            if not stopped:
                os.killpg(process.pid, signal.SIGKILL)
    assert stopped, "make run left processes behind after Ctrl-C"
    output = log_path.read_text()
    assert process.returncode in {0, -signal.SIGINT}, output[-4000:]  # make itself dies of the SIGINT
    assert stop_seconds < 15, f"Ctrl-C took {stop_seconds:.1f} s"

    records = process_log_lines(output)
    assert {r["process"] for r in records} == PROCESSES
    # each process's lines have the same keys (its own `extra=` fields aside) and the same time zone, checked above
    after_ctrl_c = json_log_lines(output.splitlines()[before_stop:])
    errors = [r for r in after_ctrl_c if r["level"] in {"ERROR", "CRITICAL"}]
    assert not errors, errors
    (stopped_line,) = [r for r in after_ctrl_c if r["process"] == "run" and r["message"] == "stopped"]
    assert stopped_line["exit_codes"] == {"web": 0, "worker": 0, "beat": 0, "ws": 0}
    shutdown = {r["process"] for r in after_ctrl_c}
    assert {"web", "worker"} <= shutdown, after_ctrl_c  # each said it was stopping, as a JSON line
