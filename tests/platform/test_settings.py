import os
import subprocess
import sys
from pathlib import Path

from django.db import transaction
from django.db.utils import ConnectionHandler

from config.db_router import PrimaryReplicaRouter
from config.settings import _database

ROOT = Path(__file__).resolve().parents[2]


PRODUCTION_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "pZ1vVQm6s4wqgTz0KcBd1b1yH3mEw3sJmJ8f1x4mQnE=",
    "FIELD_HASH_KEY": "k" * 48,
    # With DEBUG off the sandboxes are off, so each provider secret must be a real (non-sandbox) value.
    **{
        name: f"live-{name.lower()}-secret"
        for name in (
            "PAYSTACK_SECRET_KEY",
            "FLUTTERWAVE_SECRET_KEY",
            "FLUTTERWAVE_SECRET_HASH",
            "MPESA_CONSUMER_KEY",
            "MPESA_CONSUMER_SECRET",
            "MPESA_PASSKEY",
            "MPESA_SECURITY_CREDENTIAL",
            "MPESA_C2B_TOKEN",
            "SMILE_ID_API_KEY",
            "VTPASS_API_KEY",
            "VTPASS_PUBLIC_KEY",
            "VTPASS_CALLBACK_TOKEN",
            "VTPASS_SECRET_KEY",
            "WHATSAPP_APP_SECRET",
            "WHATSAPP_VERIFY_TOKEN",
            "WHATSAPP_ACCESS_TOKEN",
            "USSD_CALLBACK_TOKEN",
        )
    },
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    hidden = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", *PRODUCTION_KEYS}
    clean = {k: v for k, v in os.environ.items() if k not in hidden}
    clean.update(ENV_FILE="", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_missing_secret_key_with_debug_off_fails_with_one_clear_line():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["Configuration error: SECRET_KEY must be set when DEBUG is off."]
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_encryption_keys_with_debug_off_fail_with_one_clear_line():
    result = manage("check", DEBUG="false", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: FIELD_ENCRYPTION_KEYS and FIELD_HASH_KEY must be set when DEBUG is off."
    ]


def test_check_deploy_is_clean_under_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3y-" + "aZ9!x@Q7#m" * 6,
        ALLOWED_HOSTS="api.pamoja.africa",
        **PRODUCTION_KEYS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS)"
    )
    result = manage("shell", "-c", code, DEBUG="false", SECRET_KEY="x" * 60, **PRODUCTION_KEYS)
    printed = result.stdout.strip().splitlines()[-1].split()
    assert printed == ["False", "True", "True", "True", "True", "DENY"], result.stderr


def test_sqlite_default_runs_in_wal_mode_with_a_busy_timeout(tmp_path, django_db_blocker):
    """The embedded default: a file database opened the way `make run` opens it."""
    handler = ConnectionHandler({"default": _database(f"sqlite:///{tmp_path / 'probe.sqlite3'}")})
    probe = handler["default"]
    with django_db_blocker.unblock():
        try:
            with probe.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA busy_timeout")
                assert cursor.fetchone()[0] >= 5000
            assert probe.transaction_mode == "IMMEDIATE"
        finally:
            probe.close()


def test_database_url_configuration_per_engine():
    sqlite = _database("sqlite:////tmp/x.sqlite3")
    assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    pg = _database("postgres://app@db.internal:5432/pamoja")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert pg["OPTIONS"]["pool"]["max_size"] >= 1
    assert pg["CONN_MAX_AGE"] == 0  # the pool keeps connections; Django must not also hold them


def test_router_reads_from_replica_except_inside_a_transaction(transactional_db, monkeypatch):
    from django.conf import settings

    router = PrimaryReplicaRouter()
    assert router.db_for_read(None) == "default"  # no replica configured
    monkeypatch.setitem(settings.DATABASES, "replica", settings.DATABASES["default"])
    assert router.db_for_read(None) == "replica"
    with transaction.atomic():
        assert router.db_for_read(None) == "default"
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "accounts") is False
