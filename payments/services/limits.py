"""What a user may move out of a wallet per transaction and per day, by KYC tier (accounts.kyc.money_limits).

Today's outgoing total is transfers and withdrawals, plus what other apps send out of wallets through providers of
their own (bill orders): such an app registers a source (`register_outgoing_source`) in its `AppConfig.ready`: a
query of the rows that count, whose `amount`s are summed in the same statement as the transfers and withdrawals."""

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.kyc import money_limits
from accounts.models import User
from core.app_hooks import Registry
from core.compiled_select import CompiledStatement
from core.errors import LimitExceededError
from payments.models import Transfer, Withdrawal, WithdrawalStatus

# (user, currency, since) → the app's own payments out of that user's wallet since then that count (an `amount` each)
OutgoingSource = Callable[[User, str, datetime], QuerySet[Any]]
_outgoing_sources: Registry[OutgoingSource] = Registry("outgoing payments source")


def register_outgoing_source(name: str, source: OutgoingSource) -> None:
    _outgoing_sources.register(name, source)


def check_outgoing_limit(*, user: User, amount: Decimal, currency: str) -> None:
    """Call with the sending wallet locked: two concurrent payments then cannot both squeeze under the daily limit."""
    single, daily = money_limits(user=user, currency=currency)
    details = {"currency": currency, "tier": user.kyc_tier}
    if amount > single:
        raise LimitExceededError(
            f"Your limit for one payment is {currency} {single:,}; verify your identity to raise it.",
            details={**details, "period": "transaction", "limit": str(single)},
        )
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    used = _sent_today(user=user, currency=currency, since=start_of_day)
    if used + amount > daily:
        raise LimitExceededError(
            f"Your daily limit is {currency} {daily:,}; {currency} {max(daily - used, 0):,} is left today.",
            details={**details, "period": "day", "limit": str(daily), "used": str(used)},
        )


_SENT_AND_WITHDRAWN = (
    f"SELECT (SELECT COALESCE(SUM(amount), 0) FROM {Transfer._meta.db_table}"  # noqa: S608 (table names only)
    " WHERE sender_id = %s AND currency = %s AND created_at >= %s)"
    f" + (SELECT COALESCE(SUM(amount), 0) FROM {Withdrawal._meta.db_table}"
    " WHERE user_id = %s AND currency = %s AND created_at >= %s AND status <> %s)"
)


def _sent_today(*, user: User, currency: str, since: datetime) -> Decimal:
    """Transfers sent, withdrawals not failed and every registered source's payments since `since`, in one round
    trip (each table on its (user, created_at) index): on every money request, so one plain statement, built once
    per set of sources, rather than an ORM aggregate per table."""
    statement = _sent_today_statement(tuple(_outgoing_sources.values()))
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.parameters(user_id=user.pk, currency=currency, since=since))
        (total,) = cursor.fetchone()
    if not total:  # nothing today: a plain 0, as the ORM's empty sum was (messages show the limit unchanged)
        return Decimal("0")
    # SQLite sums decimals as floats: read back at the minor unit (two places cover every currency here)
    return Decimal(str(total)).quantize(Decimal("0.01"))


@functools.cache
def _sent_today_statement(sources: tuple[OutgoingSource, ...]) -> CompiledStatement:
    def build(*, user_id: uuid.UUID, currency: str, since: datetime) -> tuple[str, list[Any]]:
        sql = _SENT_AND_WITHDRAWN
        user_param = User._meta.pk.get_db_prep_value(user_id, connection)
        moment = connection.ops.adapt_datetimefield_value(since)
        params = [user_param, currency, moment] * 2 + [WithdrawalStatus.FAILED.value]
        for n, source in enumerate(sources):
            queryset = source(User(pk=user_id), currency, since)
            source_sql, source_params = queryset.values("amount").query.sql_with_params()
            # the ORM's own SQL and parameters: no value is written into the text
            sql += f" + (SELECT COALESCE(SUM(amount), 0) FROM ({source_sql}) AS source_{n})"  # noqa: S608
            params += source_params
        return sql, params

    return CompiledStatement.compile(
        build,
        {
            "user_id": User._meta.pk,
            "currency": Transfer._meta.get_field("currency"),
            "since": Transfer._meta.get_field("created_at"),
        },
    )
