"""Idempotency-Key records: the first successful answer to a money-moving request, kept for replay."""

import functools
import hashlib
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from core.compiled_select import CompiledSelect
from payments.errors import IdempotencyKeyInUseError, IdempotencyKeyReusedError
from payments.models import IdempotencyRecord


def _advisory_lock_id(user_id: uuid.UUID, key: str) -> int:
    digest = hashlib.sha256(f"idempotency:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim_idempotency_key(*, user: User, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Inside the request's transaction: the record to replay, or None when the request should run.

    On PostgreSQL a transaction-scoped advisory lock marks the key as in use until the request commits or rolls
    back, so a concurrent request with the same key gets 409 instead of running twice. (SQLite's IMMEDIATE
    transactions already run writers one at a time; the second one then finds the record and replays it.)
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_lock_id(user.pk, key)])
            if not cursor.fetchone()[0]:
                raise IdempotencyKeyInUseError()
    record = _record_of().first(user.pk, key)
    if record is None:
        return None
    if record.expires_at <= timezone.now():
        record.delete()
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReusedError()
    return record


@functools.cache
def _record_of() -> CompiledSelect[IdempotencyRecord]:
    """A user's record under a key (unique), compiled once: every money request looks for it."""
    user, key = uuid.uuid4(), "<key>"
    return CompiledSelect.compile(
        IdempotencyRecord.objects.filter(user_id=user, key=key),
        (IdempotencyRecord._meta.get_field("user"), user),
        (IdempotencyRecord._meta.get_field("key"), key),
    )


def record_idempotent_response(
    *, user: User, key: str, fingerprint: str, method: str, path: str, status: int, body: Any
) -> IdempotencyRecord:
    """Written in the same database transaction as the request's effect: both commit, or neither."""
    now = timezone.now()
    return IdempotencyRecord.objects.create(
        user=user,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=path[:255],
        response_status=status,
        response_body=body,
        expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS),
    )


def purge_expired_idempotency_records() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
