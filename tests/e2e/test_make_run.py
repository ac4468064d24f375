"""`make run` from this checkout: web, worker and beat come up on the embedded defaults, and Ctrl-C stops them."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
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
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own localhost server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


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
