"""Backups are real only once restored: a backup and a restore drill on PostgreSQL (the drill creates its own
database, checks row counts and ledger_check there, and drops it), the stream encryption, retention, the refusal on
SQLite, and the beat job."""

import io
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from config.celery import app as celery_app
from config.schedules import job_named
from core import backups
from core.stream_crypto import StreamDecryptionError, decrypt_stream, encrypt_stream
from loyalty.services.tenants import create_tenant
from payments.selectors import ledger_discrepancies
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet
from tests.platform.test_settings import manage


@pytest.fixture
def backup_folder(settings, tmp_path):
    """The `backups` storage is a folder of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def backup_key(settings):
    settings.BACKUP_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    return settings.BACKUP_ENCRYPTION_KEYS[0]


def drill_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{connection.settings_dict['NAME']}_drill_%"]
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def books(transactional_db):
    """Committed data for pg_dump to see: money in wallets, and a loyalty tenant behind row-level security."""
    alice, bob = UserFactory(), UserFactory()
    fund_wallet(alice, "2500.00", "KES")
    fund_wallet(bob, "900.00", "NGN")
    create_tenant(creator=alice, name="Duka", currency="KES", time_zone="Africa/Nairobi")
    assert ledger_discrepancies() == []


@pytest.mark.postgres
def test_an_encrypted_backup_restores_and_the_drill_proves_it(books, backup_folder, backup_key):
    out = io.StringIO()
    call_command("backup", stdout=out)
    (backup,) = backups.list_backups()
    assert backup.encrypted and f"backup: {backup.name} (encrypted)" in out.getvalue()
    stored = (backup_folder / backup.name).read_bytes()
    assert stored.startswith(b"PAMOJA-FERNET-STREAM-1\n") and b"PGDMP" not in stored[:200]
    manifest = json.loads((backup_folder / backup.manifest_name).read_text())
    assert manifest["row_counts"]["public.payments_ledgertransaction"] == 2
    assert manifest["row_counts"]["public.loyalty_tenant"] == 1  # row-level security did not hide it

    out = io.StringIO()
    call_command("restore_drill", stdout=out)
    printed = out.getvalue()
    assert "ledger_check: the books balance" in printed
    assert f"restore drill: {backup.name} restores, counts match, books balance" in printed
    assert drill_databases() == []  # created and dropped by the drill


@pytest.mark.postgres
def test_the_drill_fails_when_the_restore_differs_from_the_backup(books, backup_folder, settings):
    settings.BACKUP_ENCRYPTION_KEYS = []
    backup = backups.create_backup()
    assert not backup.encrypted
    assert (backup_folder / backup.name).read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    manifest_path = backup_folder / backup.manifest_name
    manifest = json.loads(manifest_path.read_text())
    manifest["row_counts"]["public.payments_ledgertransaction"] += 1
    manifest_path.write_text(json.dumps(manifest))

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="restore drill failed"):
        call_command("restore_drill", stdout=out, stderr=err)
    assert err.getvalue().strip() == "row count: public.payments_ledgertransaction: 3 rows backed up, 2 restored"
    assert "ledger_check: the books balance" in out.getvalue()  # the books themselves are fine
    assert drill_databases() == []


@pytest.mark.postgres
def test_an_altered_backup_is_refused_before_anything_is_restored(books, backup_folder, backup_key):
    backup = backups.create_backup()
    path = backup_folder / backup.name
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore_drill", stdout=io.StringIO())
    assert drill_databases() == []


def test_stream_encryption_round_trips_and_detects_tampering():
    key, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    plain = bytes(range(256)) * 100
    sealed = io.BytesIO()
    encrypt_stream(io.BytesIO(plain), sealed, keys=[key], chunk_size=1000)
    data = sealed.getvalue()

    opened = io.BytesIO()
    decrypt_stream(io.BytesIO(data), opened, keys=[other, key])  # an older key still opens it
    assert opened.getvalue() == plain

    with pytest.raises(StreamDecryptionError, match="wrong key"):
        decrypt_stream(io.BytesIO(data), io.BytesIO(), keys=[other])
    with pytest.raises(StreamDecryptionError, match="cut short"):
        decrypt_stream(io.BytesIO(data[: len(data) // 2]), io.BytesIO(), keys=[key])
    first_chunk_end = len(b"PAMOJA-FERNET-STREAM-1\n") + 4 + int.from_bytes(data[23:27], "big")
    with pytest.raises(StreamDecryptionError, match="cut short"):  # whole chunks dropped from the end
        decrypt_stream(io.BytesIO(data[:first_chunk_end]), io.BytesIO(), keys=[key])

    empty = io.BytesIO()
    encrypt_stream(io.BytesIO(b""), empty, keys=[key])
    opened = io.BytesIO()
    decrypt_stream(io.BytesIO(empty.getvalue()), opened, keys=[key])
    assert opened.getvalue() == b""


def test_retention_deletes_old_backups_but_never_the_newest(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    now = datetime(2026, 6, 30, 2, 30, tzinfo=UTC)
    for age in (45, 31, 29, 1):
        stamp = (now - timedelta(days=age)).strftime("%Y%m%dT%H%M%SZ")
        storage.save(f"pamoja-{stamp}.dump.enc", ContentFile(b"x"))
        storage.save(f"pamoja-{stamp}.json", ContentFile(b"{}"))
    storage.save("notes.txt", ContentFile(b"not a backup"))

    removed = backups.prune_backups(retention_days=30, storage=storage, now=now)
    assert removed == ["pamoja-20260516T023000Z.dump.enc", "pamoja-20260530T023000Z.dump.enc"]
    assert [b.name for b in backups.list_backups(storage=storage)] == [
        "pamoja-20260601T023000Z.dump.enc",
        "pamoja-20260629T023000Z.dump.enc",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.txt",
        "pamoja-20260601T023000Z.dump.enc",
        "pamoja-20260601T023000Z.json",
        "pamoja-20260629T023000Z.dump.enc",
        "pamoja-20260629T023000Z.json",
    ]
    # Long past the retention, the last backup left is still kept.
    assert backups.prune_backups(retention_days=30, storage=storage, now=now + timedelta(days=400)) == [
        "pamoja-20260601T023000Z.dump.enc"
    ]
    assert [b.name for b in backups.list_backups(storage=storage)] == ["pamoja-20260629T023000Z.dump.enc"]


def test_backup_refuses_sqlite_with_a_clear_message(monkeypatch, backup_folder):
    monkeypatch.setattr(backups, "connections", {"default": SimpleNamespace(vendor="sqlite", settings_dict={})})
    with pytest.raises(backups.BackupError, match=r"Backups need PostgreSQL.*sqlite3 db.sqlite3"):
        backups.create_backup()
    with pytest.raises(backups.BackupError, match="Backups need PostgreSQL"):
        backups.run_restore_drill()
    # The beat job (which `make run` starts on SQLite too) skips instead of failing every night.
    assert backups.run_daily_backup() == {"skipped": "not PostgreSQL"}
    assert list(backup_folder.iterdir()) == []


def test_daily_backup_is_a_beat_job_that_a_worker_knows():
    job = job_named("core.daily_backup")
    assert job is not None
    assert (job.schedule.minute, job.schedule.hour) == ("30", "2")
    celery_app.loader.import_default_modules()
    assert job.task in celery_app.tasks
    assert "backups" in storages.backends


def test_a_malformed_backup_key_stops_startup_not_the_night_job():
    result = manage("check", DEBUG="true", BACKUP_ENCRYPTION_KEYS="not-a-fernet-key")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Configuration error: BACKUP_ENCRYPTION_KEYS must be Fernet keys (see README, Operations)."
    ]
