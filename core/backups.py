"""Database backups and the restore drill (PostgreSQL only).

A backup is `pg_dump` in custom format (compressed; `pg_restore` can pick tables from it), encrypted when
`BACKUP_ENCRYPTION_KEYS` is set, and saved with a JSON manifest to the `backups` storage (a folder, or a bucket).
The manifest's row counts are taken in the very snapshot the dump reads (`pg_export_snapshot`), so a restore can
be compared with them exactly while the source keeps changing.

The drill restores the newest backup into a database it creates and drops, then proves it: every table's row count
equals the manifest's, and `manage.py ledger_check` (run in a subprocess pointed at the restored database, as an
operator would run it) finds the books balanced. A backup that has never been restored is only a hope.

SQLite (local development) is refused with a message, not copied: there is nothing to prove a restore against, and
`sqlite3 db.sqlite3 ".backup copy.sqlite3"` already makes a consistent copy.
"""

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode

import psycopg
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connections
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import make_conninfo

from core.stream_crypto import decrypt_stream, encrypt_stream

logger = logging.getLogger("pamoja.backups")

NAME_PREFIX = "pamoja-"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"^pamoja-(?P<stamp>\d{8}T\d{6}Z)\.dump(?P<enc>\.enc)?$")
# Loyalty's tables have row-level security, FORCEd even for their owner (loyalty/migrations/0002): without this
# session setting pg_dump would refuse them, and the row counts would see none of their rows.
ROW_SECURITY_SESSION = {"app.all_tenants": "on"}
# libpq connection options Django's PostgreSQL OPTIONS may carry (sslmode from `DATABASE_URL?sslmode=require`).
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "target_session_attrs")
_LEDGER_CHECK_TIMEOUT = 60 * 60


class BackupError(Exception):
    """A backup or drill that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    name: str
    created_at: datetime
    encrypted: bool

    @property
    def manifest_name(self) -> str:
        return f"{NAME_PREFIX}{self.created_at.strftime(_STAMP)}.json"


@dataclass
class DrillReport:
    backup: str
    database: str
    tables: int = 0
    rows: int = 0
    mismatches: list[str] = field(default_factory=list)
    ledger_ok: bool = False
    ledger_output: str = ""
    kept: bool = False

    @property
    def ok(self) -> bool:
        return self.ledger_ok and not self.mismatches


def backup_storage() -> Storage:
    return storages["backups"]


def _require_postgresql(alias: str) -> dict[str, Any]:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        raise BackupError(
            f"Backups need PostgreSQL; the {alias!r} database is {connection.vendor}. SQLite is for local "
            'development: copy it with `sqlite3 db.sqlite3 ".backup copy.sqlite3"` instead.'
        )
    return dict(connection.settings_dict)


def _libpq_params(settings_dict: Mapping[str, Any], *, dbname: str | None = None) -> dict[str, str]:
    """The connection as libpq keywords, for psycopg and (as PG* variables) for pg_dump and pg_restore."""
    params = {
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
        "dbname": dbname or settings_dict["NAME"],
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: str(options[key]) for key in _LIBPQ_OPTIONS if options.get(key) is not None})
    return {key: value for key, value in params.items() if value}


def _session_options() -> str:
    return " ".join(f"-c {name}={value}" for name, value in ROW_SECURITY_SESSION.items())


def _pg_env(params: Mapping[str, str]) -> dict[str, str]:
    names = {
        "dbname": "PGDATABASE",
        "connect_timeout": "PGCONNECT_TIMEOUT",
        "target_session_attrs": "PGTARGETSESSIONATTRS",
    }
    env = {**os.environ, "PGOPTIONS": _session_options()}
    env.update({names.get(key, f"PG{key.upper()}"): value for key, value in params.items()})
    return env


def _connect(params: Mapping[str, str], **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(make_conninfo("", **params, options=_session_options()), **kwargs)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on PATH: install the PostgreSQL client (Debian: postgresql-client).")
    return path


def _run(command: Sequence[str], *, env: Mapping[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def _row_counts(connection: psycopg.Connection[Any]) -> dict[str, int]:
    """Rows per table, every schema but the system's, as `schema.table`."""
    tables = connection.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    ).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
        row = connection.execute(query).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def list_backups(*, storage: Storage | None = None) -> list[Backup]:
    """The backups in storage, oldest first (by the UTC time in their names)."""
    storage = storage or backup_storage()
    try:
        _, files = storage.listdir("")
    except FileNotFoundError:  # a local folder not made yet: no backup so far
        return []
    found = []
    for name in files:
        match = _NAME.match(name)
        if match:
            created = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
            found.append(Backup(name=name, created_at=created, encrypted=bool(match["enc"])))
    return sorted(found, key=lambda backup: backup.created_at)


def create_backup(
    *,
    using: str = "default",
    storage: Storage | None = None,
    keys: Sequence[str] | None = None,
    now: datetime | None = None,
) -> Backup:
    """Dump the database to storage, with a manifest of its row counts taken in the dump's own snapshot."""
    settings_dict = _require_postgresql(using)
    storage = storage or backup_storage()
    keys = list(settings.BACKUP_ENCRYPTION_KEYS if keys is None else keys)
    created = (now or timezone.now()).astimezone(UTC).replace(microsecond=0)
    backup = Backup(
        name=f"{NAME_PREFIX}{created.strftime(_STAMP)}.dump{'.enc' if keys else ''}",
        created_at=created,
        encrypted=bool(keys),
    )
    params = _libpq_params(settings_dict)
    pg_dump = _tool("pg_dump")
    with tempfile.TemporaryDirectory(prefix="pamoja-backup-") as folder:
        dump = Path(folder) / "db.dump"
        # One REPEATABLE READ transaction exports its snapshot; pg_dump reads the same one, so the counts match it.
        with _connect(params) as snapshot:
            snapshot.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            snapshot.read_only = True
            row = snapshot.execute("SELECT pg_export_snapshot()").fetchone()
            snapshot_id = str(row[0]) if row else ""
            counts = _row_counts(snapshot)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--compress=6",
                    "--no-password",
                    "--enable-row-security",
                    f"--snapshot={snapshot_id}",
                    f"--file={dump}",
                ],
                env=_pg_env(params),
            )
        stored = dump
        if keys:
            stored = Path(folder) / "db.dump.enc"
            with dump.open("rb") as plain, stored.open("wb") as sealed:
                encrypt_stream(plain, sealed, keys=keys)
        manifest = {
            "backup": backup.name,
            "created_at": created.isoformat(),
            "database": params["dbname"],
            "encrypted": backup.encrypted,
            "size": stored.stat().st_size,
            "sha256": _sha256(stored),
            "row_counts": counts,
        }
        with stored.open("rb") as handle:
            saved = storage.save(backup.name, File(handle))
        if saved != backup.name:  # a second backup in the same second: the storage renamed it
            storage.delete(saved)
            raise BackupError(f"A backup named {backup.name} exists already; try again in a second.")
        storage.save(backup.manifest_name, ContentFile(json.dumps(manifest, indent=2).encode()))
    logger.info("backup saved", extra={"backup": backup.name, "size": manifest["size"], "tables": len(counts)})
    return backup


def prune_backups(
    *, retention_days: int | None = None, storage: Storage | None = None, now: datetime | None = None
) -> list[str]:
    """Delete backups older than the retention, never the newest one (an old backup beats none)."""
    storage = storage or backup_storage()
    days = settings.BACKUP_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    backups = list_backups(storage=storage)
    removed = []
    for backup in backups[:-1]:
        if backup.created_at < cutoff:
            storage.delete(backup.name)
            if storage.exists(backup.manifest_name):
                storage.delete(backup.manifest_name)
            removed.append(backup.name)
    return removed


def run_daily_backup() -> dict[str, Any]:
    """The beat job: back up, then apply the retention. On SQLite (`make run`) it says so and does nothing."""
    if connections["default"].vendor != "postgresql":
        logger.info("backup skipped: the database is not PostgreSQL")
        return {"skipped": "not PostgreSQL"}
    backup = create_backup()
    return {"backup": backup.name, "pruned": prune_backups()}


@contextmanager
def _fetched(
    backup: Backup, *, storage: Storage, keys: Sequence[str], folder: Path
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The backup's plain dump on local disk, checked against its manifest's checksum, and the manifest."""
    if not storage.exists(backup.manifest_name):
        raise BackupError(f"{backup.name} has no manifest ({backup.manifest_name}); it cannot be proved.")
    with storage.open(backup.manifest_name, "rb") as handle:
        manifest = json.loads(handle.read())
    fetched = folder / "fetched"
    with storage.open(backup.name, "rb") as source, fetched.open("wb") as target:
        shutil.copyfileobj(source, target, 1024 * 1024)
    if _sha256(fetched) != manifest["sha256"]:
        raise BackupError(f"{backup.name} does not match its manifest's checksum: altered or incomplete.")
    if not backup.encrypted:
        yield fetched, manifest
        return
    if not keys:
        raise BackupError(f"{backup.name} is encrypted and BACKUP_ENCRYPTION_KEYS is not set.")
    plain = folder / "plain.dump"
    with fetched.open("rb") as sealed, plain.open("wb") as target_plain:
        _decrypt(sealed, target_plain, keys)
    fetched.unlink()
    yield plain, manifest


def _decrypt(source: BinaryIO, target: BinaryIO, keys: Sequence[str]) -> None:
    try:
        decrypt_stream(source, target, keys=keys)
    except Exception as exc:
        raise BackupError(f"The backup does not decrypt: {exc}") from exc


def _database_url(params: Mapping[str, str]) -> str:
    credentials = quote(params.get("user", ""), safe="")
    if params.get("password"):
        credentials += ":" + quote(params["password"], safe="")
    location = params.get("host", "") + (f":{params['port']}" if params.get("port") else "")
    query = {key: value for key, value in params.items() if key in _LIBPQ_OPTIONS}
    suffix = f"?{urlencode(query)}" if query else ""
    return f"postgres://{credentials}@{location}/{quote(params['dbname'], safe='')}{suffix}"


def _ledger_check(params: Mapping[str, str]) -> tuple[bool, str]:
    """`manage.py ledger_check` in a subprocess whose only database is the restored one."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(params),
        "REPLICA_DATABASE_URL": "",
        "DATABASE_POOL": "false",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "ledger_check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=_LEDGER_CHECK_TIMEOUT,
        check=False,
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def compare_row_counts(expected: Mapping[str, int], actual: Mapping[str, int]) -> list[str]:
    """Each table whose rows differ, or that one side lacks, in words."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"{table}: missing from the restore")
        elif table not in expected:
            problems.append(f"{table}: in the restore but not in the backup's manifest")
        elif expected[table] != actual[table]:
            problems.append(f"{table}: {expected[table]} rows backed up, {actual[table]} restored")
    return problems


def run_restore_drill(
    *,
    using: str = "default",
    backup_name: str | None = None,
    storage: Storage | None = None,
    keys: Sequence[str] | None = None,
    keep: bool = False,
) -> DrillReport:
    """Restore the newest (or the named) backup into a new database, prove it, and drop it unless `keep`."""
    settings_dict = _require_postgresql(using)
    storage = storage or backup_storage()
    keys = list(settings.BACKUP_ENCRYPTION_KEYS if keys is None else keys)
    backups = list_backups(storage=storage)
    if backup_name is not None:
        backups = [backup for backup in backups if backup.name == backup_name]
    if not backups:
        raise BackupError(f"No backup {'named ' + backup_name if backup_name else 'in storage'} to restore.")
    backup = backups[-1]
    source = _libpq_params(settings_dict)
    target_name = f"{source['dbname'][:40]}_drill_{secrets.token_hex(4)}"
    target = {**source, "dbname": target_name}
    report = DrillReport(backup=backup.name, database=target_name, kept=keep)
    with (
        tempfile.TemporaryDirectory(prefix="pamoja-drill-") as folder,
        _fetched(backup, storage=storage, keys=keys, folder=Path(folder)) as (dump, manifest),
    ):
        with _connect(source, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target_name)))
        try:
            _run(
                [
                    _tool("pg_restore"),
                    "--no-owner",
                    "--no-acl",
                    "--single-transaction",  # all or nothing, and 3x faster than a commit per object
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={target_name}",
                    str(dump),
                ],
                env=_pg_env(target),
            )
            with _connect(target) as restored:
                counts = _row_counts(restored)
            report.tables, report.rows = len(counts), sum(counts.values())
            report.mismatches = compare_row_counts(manifest["row_counts"], counts)
            report.ledger_ok, report.ledger_output = _ledger_check(target)
        finally:
            if not keep:
                with _connect(source, autocommit=True) as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target_name))
                    )
    logger.info(
        "restore drill", extra={"backup": backup.name, "ok": report.ok, "tables": report.tables, "rows": report.rows}
    )
    return report
