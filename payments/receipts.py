"""Reads behind a wallet movement's detail and receipt, and behind a wallet statement over a period: what the
member sees of one ledger entry on their wallet (who was on the other side, the fee, the provider's reference and
M-Pesa receipt code), and their wallet's movements between two dates whose closing balance is the ledger's."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from payments import selectors
from payments.models import (
    AccountKind,
    Charge,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
    Transfer,
    Withdrawal,
)

CENT = Decimal("0.01")


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal("0")).quantize(CENT)


def _person(user: User) -> str:
    return user.get_full_name() or "Pamoja member"


def kind_label(transaction: LedgerTransaction) -> str:
    """What people call a posting (never its ledger kind): dues that went to a group's pot are a registration fee,
    not a security deposit (held in escrow)."""
    if transaction.kind == TransactionKind.DEPOSIT_HOLD:
        legs = {e.account.kind for e in transaction.entries.all() if e.amount}
        if AccountKind.GROUP_POT in legs:
            return (
                "Security deposit and registration fee"
                if AccountKind.GROUP_DEPOSIT_ESCROW in legs
                else "Registration fee"
            )
    return str(transaction.get_kind_display())


def _description(transaction: LedgerTransaction, label: str) -> str:
    """The posting's memo; for group dues ("<group>: deposit and registration fee", whatever was paid) the group
    and the label."""
    memo = transaction.memo
    if transaction.kind == TransactionKind.DEPOSIT_HOLD and ": " in memo:
        return f"{memo.split(': ', 1)[0]}: {label}"
    return memo or label


def _holder(user: User) -> str:
    return user.get_full_name() or user.email


# --- lists -------------------------------------------------------------------------------------------------------


def deposits_of(*, user_id: uuid.UUID) -> QuerySet[Charge]:
    """The user's deposits (card checkouts and M-Pesa pushes, a contribution's included), newest first."""
    return Charge.objects.filter(user_id=user_id).order_by("-created_at", "-pk")


def transfers_of(*, user_id: uuid.UUID) -> QuerySet[Transfer]:
    """Transfers the user sent or received, newest first."""
    return Transfer.objects.filter(Q(sender_id=user_id) | Q(recipient_id=user_id)).order_by("-created_at", "-pk")


# --- one movement -------------------------------------------------------------------------------------------------


def wallet_entry_of(*, user_id: uuid.UUID, entry_id: int) -> LedgerEntry | None:
    """One movement on the user's own wallets (with its `status`), and the records it settles; None when it is
    not theirs."""
    return (
        selectors.wallet_entries_of(user_id=user_id)
        .filter(pk=entry_id)
        .select_related(
            "transaction__charge",
            "transaction__transfer__sender",
            "transaction__transfer__recipient",
            "transaction__withdrawal_hold__bank_account",
            "transaction__withdrawal_return__bank_account",
        )
        .first()
    )


def _related(entry: LedgerEntry, name: str) -> Any:
    """A reverse one-to-one of the entry's transaction, or None where it has none."""
    try:
        return getattr(entry.transaction, name)
    except (Charge.DoesNotExist, Transfer.DoesNotExist, Withdrawal.DoesNotExist):
        return None


def _withdrawal_counterparty(withdrawal: Withdrawal) -> dict[str, str]:
    bank = withdrawal.bank_account
    if bank is not None:
        return {
            "type": "bank_account",
            "id": str(bank.pk),
            "name": bank.account_name,
            "detail": f"{bank.bank_name or bank.bank_code} {bank.masked_number}",
        }
    return {"type": "phone", "id": "", "name": withdrawal.get_provider_display(), "detail": withdrawal.phone_number}


def _ledger_counterparty(entry: LedgerEntry) -> dict[str, str] | None:
    """The other side of a posting no payments record describes (a contribution, a payout, a bill): its largest
    leg going the other way, named by its account's kind (a group's pot, a provider's in-flight account)."""
    going_the_other_way = Q(amount__lt=0) if entry.amount > 0 else Q(amount__gt=0)
    legs = list(
        LedgerEntry.objects.filter(going_the_other_way, transaction_id=entry.transaction_id)
        .exclude(account__kind=AccountKind.FEE_INCOME)
        .select_related("account")
    )
    if not legs:
        return None
    account = max(legs, key=lambda leg: abs(leg.amount)).account
    return {
        "type": account.owner_type or "pamoja",
        "id": account.owner_id,
        "name": account.get_kind_display(),
        "detail": account.code,
    }


def _fee_in(entry: LedgerEntry) -> Decimal:
    """What Pamoja took as its fee in the entry's posting (a payout's service fee, say)."""
    total = LedgerEntry.objects.filter(
        transaction_id=entry.transaction_id, account__kind=AccountKind.FEE_INCOME, amount__gt=0
    ).aggregate(total=Sum("amount"))["total"]
    return _money(total)


def wallet_entry_detail(entry: LedgerEntry, *, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything the member may know of one movement on their wallet."""
    transaction = entry.transaction
    detail: dict[str, Any] = {
        "id": entry.pk,
        "transaction_id": transaction.pk,
        "kind": transaction.kind,
        "kind_label": kind_label(transaction),
        "status": getattr(entry, "status", "completed"),
        "direction": "in" if entry.amount > 0 else "out",
        "currency": entry.account.currency,
        "amount": str(_money(entry.amount)),
        "fee": "0.00",
        "balance_after": str(_money(entry.balance_after)) if entry.balance_after is not None else None,
        "reference": transaction.reference,
        "memo": _description(transaction, kind_label(transaction)),
        "note": "",
        "counterparty": None,
        "provider": "",
        "provider_reference": "",
        "receipt_code": "",
        "created_at": transaction.created_at,
    }
    charge: Charge | None = _related(entry, "charge")
    transfer: Transfer | None = _related(entry, "transfer")
    withdrawal: Withdrawal | None = _related(entry, "withdrawal_hold") or _related(entry, "withdrawal_return")
    if charge is not None:
        detail["counterparty"] = {
            "type": "provider",
            "id": charge.provider,
            "name": charge.get_provider_display(),
            "detail": charge.phone_number,
        }
        detail.update(
            provider=charge.provider, provider_reference=charge.provider_reference, receipt_code=charge.receipt_code
        )
    elif transfer is not None:
        other = transfer.recipient if transfer.sender_id == user_id else transfer.sender
        detail["counterparty"] = {"type": "user", "id": str(other.pk), "name": _person(other), "detail": ""}
        detail["note"] = transfer.note
    elif withdrawal is not None:
        detail["counterparty"] = _withdrawal_counterparty(withdrawal)
        detail.update(
            provider=withdrawal.provider,
            provider_reference=withdrawal.provider_reference,
            receipt_code=withdrawal.receipt_code,
            # the fee left with the money on the way out; a returned withdrawal gave both back
            fee=str(_money(withdrawal.fee)) if transaction.kind == TransactionKind.WITHDRAWAL else "0.00",
        )
    else:
        detail["counterparty"] = _ledger_counterparty(entry)
        detail["fee"] = str(_fee_in(entry))
    return detail


def wallet_entry_receipt(entry: LedgerEntry, *, user: User) -> dict[str, Any]:
    """The movement's receipt: its detail, who holds the wallet, a receipt number and when it was issued."""
    return {
        "receipt_number": f"PMJ-{entry.pk:010d}",
        "holder": _holder(user),
        "issued_at": timezone.now(),
        **wallet_entry_detail(entry, user_id=user.pk),
    }


# --- a statement over a period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementPeriod:
    start: date
    end: date  # included
    tz: tzinfo

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.tz)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)


def statement_period(*, start: date | None, end: date | None, tz: tzinfo | None = None) -> StatementPeriod:
    """The period asked for, in `tz` (the server's time zone): by default the 90 days up to today."""
    zone = tz or timezone.get_current_timezone()
    end = end or timezone.now().astimezone(zone).date()
    start = start or end - timedelta(days=90)
    return StatementPeriod(start=start, end=end, tz=zone)


def _entries(*, user_id: uuid.UUID, currency: str) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(
        account__kind=AccountKind.USER_WALLET,
        account__owner_type="user",
        account__owner_id=str(user_id),
        account__currency=currency,
    )


def wallet_statement(*, user: User, currency: str, period: StatementPeriod) -> dict[str, Any]:
    """The wallet's movements in `currency` over the period, oldest first, each with the balance after it:
    opening balance (every entry before the first day) + movements = closing balance, which for a period that
    ends today is the wallet's balance in the ledger."""
    entries = _entries(user_id=user.pk, currency=currency)
    opening = _money(
        entries.filter(transaction__created_at__lt=period.starts_at).aggregate(total=Sum("amount"))["total"]
    )
    rows = (
        entries.filter(
            Q(transaction__created_at__gte=period.starts_at) & Q(transaction__created_at__lt=period.ends_before)
        )
        .select_related("transaction")
        .prefetch_related("transaction__entries__account")
        .order_by("transaction__created_at", "pk")
    )
    balance = opening
    money_in = money_out = Decimal("0")
    totals: dict[str, Decimal] = {}
    labels: dict[str, str] = {}
    movements: list[dict[str, Any]] = []
    for entry in rows:
        amount = _money(entry.amount)
        balance += amount
        if amount > 0:
            money_in += amount
        else:
            money_out -= amount
        kind = entry.transaction.kind
        label = kind_label(entry.transaction)
        totals[kind] = totals.get(kind, Decimal("0")) + amount
        labels.setdefault(kind, str(entry.transaction.get_kind_display()))
        movements.append(
            {
                "id": entry.pk,
                "transaction_id": entry.transaction_id,
                "date": entry.transaction.created_at.astimezone(period.tz).isoformat(),
                "kind": kind,
                "label": label,
                "description": _description(entry.transaction, label),
                "reference": entry.transaction.reference,
                "amount": str(amount),
                "balance": str(balance),
            }
        )
    return {
        "title": "Pamoja wallet statement",
        "holder": _holder(user),
        "currency": currency,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "time_zone": str(period.tz),
        "opening_balance": str(opening),
        "money_in": str(money_in),
        "money_out": str(money_out),
        "closing_balance": str(balance),
        "movements": movements,
        "totals": {kind: str(amount) for kind, amount in sorted(totals.items())},
        "total_labels": {kind: labels[kind] for kind in sorted(totals)},
    }
