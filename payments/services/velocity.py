"""Velocity limits against fraud: how many transfers and withdrawals, and how much money, a user (and each of their
devices) may send out per hour and per day (`VELOCITY_LIMITS`, `VELOCITY_DEVICE_LIMITS`), and the review of a
large withdrawal from a device the user has not used before (`NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE`).

A device is what the client says it is: the `X-Device-Id` header, a stable install id the app generates, kept only
as its sha256. `check_velocity` runs in the money transaction with the sender's wallet locked, next to the KYC
limit (`payments.services.limits`), so two concurrent payments in one currency cannot both squeeze under a limit.

The windows roll: an item counts for the hour (or day) after it was made, and a refusal says when the item whose
leaving lets the payment through leaves the window. A refusal is recorded (`VelocityRefusal`, in the admin)."""

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from core.compiled_select import CompiledStatement
from core.enqueue import enqueue_on_commit
from core.errors import ConflictError
from core.money import round_money
from payments.errors import VelocityLimitedError
from payments.models import (
    PaymentReview,
    Transfer,
    TransferStatus,
    VelocityRefusal,
    Withdrawal,
    WithdrawalStatus,
)

TRANSFER = "transfer"
WITHDRAWAL = "withdrawal"
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
NEW_DEVICE_REVIEW = "First withdrawal from a new device"
NEW_DEVICE_MAX_ID = 200  # longer client ids are cut before hashing


def device_hash(device_id: str | None) -> str:
    """The stored form of a client's `X-Device-Id`: its sha256 in hex; empty for none."""
    cleaned = (device_id or "").strip()[:NEW_DEVICE_MAX_ID]
    return hashlib.sha256(cleaned.encode()).hexdigest() if cleaned else ""


def _items(*, user: User, kind: str, since: datetime) -> QuerySet[Any]:
    """The user's items of `kind` that count, made after `since` (on the (user, created_at) index). A failed
    withdrawal (its money came back, or staff rejected it) does not count."""
    if kind == TRANSFER:
        return Transfer.objects.filter(sender=user, created_at__gt=since)
    if kind == WITHDRAWAL:
        return Withdrawal.objects.filter(user=user, created_at__gt=since).exclude(status=WithdrawalStatus.FAILED)
    raise ValueError(f"No velocity limits for {kind!r}.")


def _amount_limit(window_limits: dict[str, Any], currency: str) -> Decimal | None:
    amounts = window_limits.get("amount") or {}
    configured = amounts.get(currency, amounts.get("default"))
    return Decimal(str(configured)) if configured is not None else None


@functools.cache
def _window_columns(with_device: bool) -> str:
    """Per scope and window, a count and a sum in the currency, over the items' rows: built once per shape."""
    columns = []
    for scope in ("user", "device") if with_device else ("user",):
        device = " AND device_hash = %s" if scope == "device" else ""
        for window in WINDOWS:
            columns.append(f"COUNT(*) FILTER (WHERE created_at > %s{device}) AS {scope}_{window}_count")
            columns.append(
                f"SUM(amount) FILTER (WHERE created_at > %s{device} AND currency = %s) AS {scope}_{window}_amount"
            )
    return ", ".join(columns)


@functools.cache
def _items_statement(kind: str) -> CompiledStatement:
    """`_items`' query of the columns the windows read, built once per kind."""

    def build(*, user_id: Any, since: datetime) -> tuple[str, Any]:
        items = _items(user=User(pk=user_id), kind=kind, since=since)
        return items.values("created_at", "amount", "currency", "device_hash").query.sql_with_params()

    return CompiledStatement.compile(
        build,
        {"user_id": User._meta.pk, "since": Transfer._meta.get_field("created_at")},
    )


def _window_totals(*, user: User, kind: str, currency: str, hashed: str, now: datetime) -> dict[str, Any]:
    """`{scope}_{window}_count` and `_amount` over the user's items of `kind` in the longest window (`_items`, the
    one definition of what counts), and with `hashed` the device's: one select. The counts are plain SQL around the
    items' query: on every transfer and withdrawal, the ORM's aggregate of eight filtered expressions cost more
    Python than the rest of the limits together (issue 20)."""
    items = _items_statement(kind)
    items_params = items.parameters(user_id=user.pk, since=now - max(WINDOWS.values()))
    moment = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for scope in ("user", "device") if hashed else ("user",):
        device = [hashed] if scope == "device" else []
        for length in WINDOWS.values():
            params += [moment(now - length), *device, moment(now - length), *device, currency]
    # the ORM's own SQL and parameters: no value is written into the text
    sql = f"SELECT {_window_columns(bool(hashed))} FROM ({items.sql}) AS items"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *items_params])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def check_velocity(*, user: User, kind: str, amount: Decimal, currency: str, device_id: str | None) -> str | None:
    """Refuse with `VelocityLimitedError` (the refusal recorded) when `amount` more of `kind` would pass a limit;
    else return why a withdrawal must be held for review, or None. Call with the sender's wallet locked.

    `device_id` is the request's `X-Device-Id`: "" when it sent none (an unknown device: the user's limits apply
    and, for the review, it is new), None when no device asked (a service acting for the user, such as a group
    payout sent on to the member's bank: the user's limits apply, and it is never held)."""
    now = timezone.now()
    hashed = device_hash(device_id)
    scopes: list[tuple[str, dict[str, Any], Q]] = [("user", settings.VELOCITY_LIMITS, Q())]
    if hashed:
        scopes.append(("device", settings.VELOCITY_DEVICE_LIMITS, Q(device_hash=hashed)))
    totals = _window_totals(user=user, kind=kind, currency=currency, hashed=hashed, now=now)
    passed: list[_Passed] = []
    for scope, limits, of_scope in scopes:
        for window, length in WINDOWS.items():
            common: dict[str, Any] = {
                "user": user,
                "kind": kind,
                "amount": amount,
                "currency": currency,
                "now": now,
                "length": length,
                "of_scope": of_scope,
            }
            window_limits = limits.get(kind, {}).get(window) or {}
            count_limit = window_limits.get("count")
            count = totals[f"{scope}_{window}_count"]
            if count_limit is not None and count + 1 > int(count_limit):
                limit: tuple[str, int | Decimal] = ("count", int(count_limit))
                passed.append(_passed(**common, scope=scope, window=window, limit=limit, used=count))
            amount_limit = _amount_limit(window_limits, currency)
            # SQLite sums decimals as floats: read back at the currency's minor unit
            used = round_money(Decimal(str(totals[f"{scope}_{window}_amount"] or 0)), currency)
            if amount_limit is not None and used + amount > amount_limit:
                passed.append(_passed(**common, scope=scope, window=window, limit=("amount", amount_limit), used=used))
    if passed:
        # the limit that lets the payment through last (never, if one never will) is the one to wait for
        _refuse(
            max(passed, key=lambda p: p.retry_after or datetime.max.replace(tzinfo=UTC)),
            user=user,
            kind=kind,
            amount=amount,
            currency=currency,
            hashed=hashed,
            now=now,
        )
    if kind == WITHDRAWAL and device_id is not None:
        threshold = settings.NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE.get(currency)
        if threshold is not None and amount > Decimal(str(threshold)) and not _known_device(user=user, hashed=hashed):
            return NEW_DEVICE_REVIEW
    return None


def _known_device(*, user: User, hashed: str) -> bool:
    """Whether the user has completed a transfer or withdrawal from this device before."""
    if not hashed:
        return False
    return (
        Transfer.objects.filter(sender=user, device_hash=hashed, status=TransferStatus.COMPLETED).exists()
        or Withdrawal.objects.filter(user=user, device_hash=hashed, status=WithdrawalStatus.SUCCEEDED).exists()
    )


@dataclass(frozen=True)
class _Passed:
    """A limit the payment would pass: which, and when the payment would fit under it again (None: never)."""

    scope: str
    window: str
    limit: str  # count | amount
    retry_after: datetime | None
    message: str
    details: dict[str, Any]


def _passed(
    *,
    user: User,
    kind: str,
    amount: Decimal,
    currency: str,
    scope: str,
    window: str,
    limit: tuple[str, int | Decimal],
    now: datetime,
    length: timedelta,
    of_scope: Q,
    used: Decimal | int,
) -> _Passed:
    """`used`: the count, or the amount, already in the window. One query, for the window's oldest items."""
    what, value = limit
    items = _items(user=user, kind=kind, since=now - length).filter(of_scope).order_by("created_at", "pk")
    retry_after: datetime | None = None
    per = f"per {window}{' from one device' if scope == 'device' else ''}"
    if what == "count":
        # once this many of the oldest have left, one more fits (never, with a limit of none)
        leaving = int(used) + 1 - int(value)
        moments = list(items.values_list("created_at", flat=True)[:leaving]) if int(value) > 0 else []
        if moments and len(moments) == leaving:
            retry_after = moments[-1] + length
        message = f"At most {value} {kind}s {per}."
        details: dict[str, Any] = {"limit_count": int(value)}
    else:
        excess, freed = used + amount - Decimal(value), Decimal("0")
        if amount <= Decimal(value):
            for created_at, item_amount in items.filter(currency=currency).values_list("created_at", "amount"):
                freed += item_amount
                if freed >= excess:
                    retry_after = created_at + length
                    break
        message = f"Your {kind}s may add up to {currency} {Decimal(value):,} {per}."
        details = {"limit_amount": str(value), "currency": currency, "used": str(used)}
    if retry_after is not None:
        message += f" Try again after {timezone.localtime(retry_after):%Y-%m-%d %H:%M}."
    return _Passed(scope, window, what, retry_after, message, details)


def _refuse(
    passed: _Passed, *, user: User, kind: str, amount: Decimal, currency: str, hashed: str, now: datetime
) -> None:
    """Record the refusal and raise it."""
    retry_after = passed.retry_after
    refusal = VelocityRefusal.objects.create(
        user=user,
        kind=kind,
        window=passed.window,
        scope=passed.scope,
        limit=passed.limit,
        amount=amount,
        currency=currency,
        device_hash=hashed,
        retry_after=retry_after,
    )
    error = VelocityLimitedError(
        passed.message,
        details={
            "kind": kind,
            "window": passed.window,
            "scope": passed.scope,
            **passed.details,
            "retry_after": retry_after.isoformat() if retry_after is not None else None,
        },
        retry_after=max(1, math.ceil((retry_after - now).total_seconds())) if retry_after is not None else None,
    )
    error.refusal = refusal
    raise error


def record_velocity_refusal(*, error: VelocityLimitedError) -> None:
    """Keep a refusal whose transaction rolled back (a withdrawal refused inside the request's transaction): call
    once that transaction has ended. A refusal already kept is left alone."""
    refusal = error.refusal
    if refusal is not None and not VelocityRefusal.objects.filter(pk=refusal.pk).exists():
        refusal.save(force_insert=True)


def hold_withdrawal_for_review(*, withdrawal: Withdrawal, reason: str) -> PaymentReview:
    """In the withdrawal's own transaction: its money is in flight; it is `held`, so nothing sends it to the
    provider until staff release it (`release_held_withdrawal`) or reject it (`reject_held_withdrawal`)."""
    return PaymentReview.objects.create(
        withdrawal=withdrawal,
        reason=reason,
        details={
            "amount": str(withdrawal.amount),
            "currency": withdrawal.currency,
            "device_hash": withdrawal.device_hash,
        },
    )


def _lock_held(withdrawal_id: Any) -> Withdrawal:
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
    if withdrawal.status != WithdrawalStatus.HELD:
        raise ConflictError(f"Withdrawal {withdrawal.reference} is not held for review (it is {withdrawal.status}).")
    PaymentReview.objects.filter(withdrawal=withdrawal, resolved=False, reason=NEW_DEVICE_REVIEW).update(resolved=True)
    return withdrawal


def release_held_withdrawal(*, withdrawal_id: Any) -> Withdrawal:
    """Staff: send a held withdrawal to the provider (after commit), once; it then settles or returns as any."""
    with transaction.atomic():
        withdrawal = _lock_held(withdrawal_id)
        withdrawal.status = WithdrawalStatus.PROCESSING
        withdrawal.save(update_fields=["status", "updated_at"])
        # imported here: the tasks module imports the payments services
        from payments.tasks import submit_withdrawal

        enqueue_on_commit(submit_withdrawal, str(withdrawal.pk))  # broker down: reconciliation submits it
    return withdrawal


def reject_held_withdrawal(*, withdrawal_id: Any, reason: str = "") -> Withdrawal:
    """Staff: return a held withdrawal's money and fee to the wallet, once (as a failed withdrawal's)."""
    from payments.providers.base import PaymentStatus
    from payments.services.withdrawals import apply_transfer_result

    with transaction.atomic():
        withdrawal = _lock_held(withdrawal_id)
        withdrawal.status = WithdrawalStatus.PROCESSING  # for one statement: the return path of a failed transfer
        withdrawal.save(update_fields=["status", "updated_at"])
        apply_transfer_result(
            withdrawal_id=withdrawal.pk,
            status=PaymentStatus.FAILED,
            message=reason or "Not approved on review; the money is back in your wallet.",
        )
        withdrawal.refresh_from_db()
    return withdrawal
