"""Statements, read straight from the ledger: a member's account with their group, and the group's pot.

A member statement lists every posting about the member in the group. Its amount is what the member put in
(positive: contributions, dues, penalties, repayments, cash recorded by an official) or took out (negative:
payouts, refunds, loans, cash handed out), i.e. minus what the posting did to the member's wallet and, for money
taken outside the app, to its off-platform side; the balance is the running total. A group statement lists the
entries of the pot (e-money) and of the cash books (cash officials hold); its balance is theirs together. Each
movement says how much of it was e-money and how much cash, and so do the opening and closing balances. Both
group the same movements into totals by kind.

What people read names things as they would: each movement has a `label` ("Registration fee", "Share-out")
beside its ledger `kind`, a group statement's descriptions name the member ("Contribution from Amina Otieno"), and
the CSV and PDF show labels, never the ledger's kinds.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from contributions.services.ledger import pot_of
from core.money import minor_unit
from core.statement_documents import spreadsheet_safe
from core.statement_documents import statement_pdf as document_pdf
from groups.models import Membership, SavingsGroup
from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind

TOTAL_KINDS = (
    "contributions",
    "payouts",
    "share_outs",
    "penalties",
    "deposits",
    "registration_fees",
    "loans",
    "interest",
    "fees",
    "welfare",
    "expenses",
    "credit",
)

TOTAL_LABELS = {
    "contributions": "Contributions",
    "payouts": "Payouts",
    "share_outs": "Share-outs",
    "penalties": "Penalties",
    "deposits": "Security deposits",
    "registration_fees": "Registration fees",
    "loans": "Loans",
    "interest": "Interest",
    "fees": "Fees",
    "welfare": "Welfare fund",
    "expenses": "Group spending",
    "credit": "Member credit",
}


@dataclass
class Movement:
    at: datetime
    kind: str
    description: str
    amount: Decimal
    balance: Decimal = Decimal("0")
    parts: dict[str, Decimal] = field(default_factory=dict)
    cash: Decimal = Decimal("0")
    transaction_id: int | None = None
    label: str = ""

    @property
    def e_money(self) -> Decimal:
        return self.amount - self.cash


@dataclass
class Statement:
    title: str
    group: SavingsGroup
    holder: str
    start: date
    end: date
    opening_balance: Decimal
    closing_balance: Decimal
    movements: list[Movement]
    totals: dict[str, Decimal]
    opening_cash: Decimal = Decimal("0")
    closing_cash: Decimal = Decimal("0")

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "group": str(self.group.pk),
            "group_name": self.group.name,
            "holder": self.holder,
            "currency": self.group.currency,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "opening_balance": str(self.opening_balance),
            "closing_balance": str(self.closing_balance),
            "by_channel": {
                "e_money": {
                    "opening": str(self.opening_balance - self.opening_cash),
                    "closing": str(self.closing_balance - self.closing_cash),
                },
                "cash": {"opening": str(self.opening_cash), "closing": str(self.closing_cash)},
            },
            "movements": [
                {
                    "date": m.at.astimezone(self.group.tz).isoformat(),
                    "kind": m.kind,
                    "label": m.label or m.kind,
                    "description": m.description,
                    "amount": str(m.amount),
                    "e_money": str(m.e_money),
                    "cash": str(m.cash),
                    "balance": str(m.balance),
                }
                for m in self.movements
            ],
            "totals": {kind: str(amount) for kind, amount in self.totals.items()},
        }


def _bounds(group: SavingsGroup, start: date, end: date) -> tuple[datetime, datetime]:
    tz = group.tz
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _parts(posted: LedgerTransaction, member_accounts: set[int] | None) -> dict[str, Decimal]:
    """Split a posting into the statement's kinds, from its legs and metadata."""
    parts: dict[str, Decimal] = {}

    def add(kind: str, amount: Decimal) -> None:
        if amount:
            parts[kind] = parts.get(kind, Decimal("0")) + amount

    for entry in posted.entries.all():
        kind = entry.account.kind
        if kind == AccountKind.GROUP_CASH_BOOK and posted.kind == TransactionKind.CONTRIBUTION:
            add("contributions", entry.amount)
        elif kind == AccountKind.GROUP_CASH_BOOK and posted.kind == TransactionKind.PAYOUT:
            add("payouts", -entry.amount)
        elif kind == AccountKind.FEE_INCOME:
            if member_accounts is None or "share_out" not in posted.metadata:  # a share-out's fee is everyone's
                add("fees", entry.amount)
        elif kind == AccountKind.PENALTY_INCOME:
            add("penalties", entry.amount)
        elif kind == AccountKind.GROUP_WELFARE:  # dues paid in (+), payouts by resolution (-)
            add("welfare", entry.amount)
        elif kind == AccountKind.GROUP_MEMBER_CREDIT:  # part-payments in (+), settling dues or returned (-)
            add("credit", entry.amount)
        elif kind == AccountKind.GROUP_POT and posted.kind == TransactionKind.GROUP_EXPENSE:
            add("expenses", entry.amount)
        elif kind in (AccountKind.GROUP_POT, AccountKind.GROUP_DEPOSIT_ESCROW):
            if posted.kind == TransactionKind.CONTRIBUTION:
                add("contributions" if kind == AccountKind.GROUP_POT else "deposits", entry.amount)
            elif posted.kind == TransactionKind.DEPOSIT_HOLD:  # a deposit is held in escrow, a fee is the pot's
                add("deposits" if kind == AccountKind.GROUP_DEPOSIT_ESCROW else "registration_fees", entry.amount)
        elif (
            kind == AccountKind.USER_WALLET
            and posted.kind == TransactionKind.PAYOUT
            and (member_accounts is None or entry.account_id in member_accounts)
        ):
            add("share_outs" if "share_out" in posted.metadata else "payouts", -entry.amount)
    # Penalties paid to the group (since fines stay in the pot) are part of a pot leg: the posting says how much.
    # Older postings sent them to penalty income, counted above.
    penalties_to_pot = Decimal(posted.metadata.get("penalty_amount", "0"))
    if posted.kind == TransactionKind.LOAN and not any(
        e.account.kind == AccountKind.PENALTY_INCOME for e in posted.entries.all()
    ):
        penalties_to_pot += Decimal(posted.metadata.get("late_fees", "0"))
    if penalties_to_pot:
        add("penalties", penalties_to_pot)
        if posted.kind == TransactionKind.CONTRIBUTION:
            add("contributions", -penalties_to_pot)
        elif posted.kind == TransactionKind.DEPOSIT_HOLD:
            add("deposits", -penalties_to_pot)
    if posted.kind == TransactionKind.LOAN:
        interest = Decimal(posted.metadata.get("interest", "0"))
        principal = Decimal(posted.metadata.get("principal", "0"))
        add("interest", interest)
        add("loans", principal)
        if "interest" not in posted.metadata:  # a disbursement or a write-off: the principal leaves the pot
            pot_entries = (e.amount for e in posted.entries.all() if e.account.kind == AccountKind.GROUP_POT)
            add("loans", sum(pot_entries, Decimal("0")))
    return parts


def _label(posted: LedgerTransaction) -> str:
    """What a person calls the posting. Dues are a security deposit (held in escrow, an ajo's), a registration fee
    (the pot's, a chama's) or both, paid or refunded."""
    if posted.kind == TransactionKind.DEPOSIT_HOLD:
        legs = {e.account.kind: e.amount for e in posted.entries.all() if e.amount}
        deposit, fee = legs.get(AccountKind.GROUP_DEPOSIT_ESCROW), legs.get(AccountKind.GROUP_POT)
        name = (
            "Security deposit and registration fee"
            if deposit and fee
            else "Registration fee"
            if fee
            else "Security deposit"
        )
        return f"{name} refunded" if (deposit or fee or 0) < 0 else name
    if posted.kind == TransactionKind.PAYOUT and "share_out" in posted.metadata:
        return "Share-out"
    return str(posted.get_kind_display())


def _describe(
    posted: LedgerTransaction, group: SavingsGroup, label: str, member: str = "", amount: Decimal = Decimal("0")
) -> str:
    """The posting's memo without the group's name (the statement is the group's), or the label; on a group
    statement, with the member it was from or to."""
    text = posted.memo.removeprefix(f"{group.name}: ").strip()
    if not text or posted.kind == TransactionKind.DEPOSIT_HOLD:  # dues memos say "deposit and fee" whatever was paid
        text = label
    text = text[:1].upper() + text[1:]
    if member:
        text = f"{text} {'to' if amount < 0 else 'from'} {member}"
    return text


def _member_names(group: SavingsGroup) -> dict[int, str]:
    return {
        m.pk: m.user.get_full_name() or m.user.email
        for m in Membership.objects.filter(group=group).select_related("user").only("pk", "user")
    }


def member_statement(*, membership: Membership, start: date, end: date) -> Statement:
    group = membership.group
    wallet_ids = set(
        LedgerAccount.objects.filter(
            kind=AccountKind.USER_WALLET, owner_type="user", owner_id=str(membership.user_id), currency=group.currency
        ).values_list("pk", flat=True)
    )
    lower, upper = _bounds(group, start, end)
    postings = (
        LedgerTransaction.objects.filter(reference=str(group.pk), created_at__lt=upper)
        .filter(Q(metadata__member=membership.pk) | Q(entries__account__in=wallet_ids))
        .distinct()
        .prefetch_related("entries__account")
        .order_by("created_at", "pk")
    )
    opening = opening_cash = Decimal("0")
    movements = []
    for posted in postings:
        own = posted.metadata.get("member") == membership.pk
        e_money = -sum((e.amount for e in posted.entries.all() if e.account_id in wallet_ids), Decimal("0"))
        cash = -sum((e.amount for e in posted.entries.all() if own and _is_outside(e.account)), Decimal("0"))
        if posted.created_at < lower:
            opening += e_money + cash
            opening_cash += cash
            continue
        label = _label(posted)
        movements.append(
            Movement(
                posted.created_at,
                posted.kind,
                _describe(posted, group, label),
                e_money + cash,
                parts=_parts(posted, wallet_ids),
                cash=cash,
                label=label,
            )
        )
    return _finish(
        title=f"Member statement: {group.name}",
        group=group,
        holder=membership.user.get_full_name() or membership.user.email,
        start=start,
        end=end,
        opening=opening,
        opening_cash=opening_cash,
        movements=movements,
    )


def _is_outside(account: LedgerAccount) -> bool:
    """Where money officials record comes from: the off-platform side (before the cash book, a `group-*`
    clearing account, kept so that old statements still read)."""
    return account.kind == AccountKind.OFF_PLATFORM or (
        account.kind == AccountKind.PROVIDER_CLEARING and account.code.startswith("group-")
    )


def group_statement(*, group: SavingsGroup, start: date, end: date) -> Statement:
    pot = pot_of(group)
    cash_books = LedgerAccount.objects.filter(
        kind=AccountKind.GROUP_CASH_BOOK, owner_type="group", owner_id=str(group.pk), currency=group.currency
    )
    lower, upper = _bounds(group, start, end)
    entries = (
        LedgerEntry.objects.filter(Q(account=pot) | Q(account__in=cash_books), transaction__created_at__lt=upper)
        .select_related("transaction", "account")
        .order_by("transaction__created_at", "transaction_id", "pk")
    )
    opening = opening_cash = Decimal("0")
    movements: list[Movement] = []
    names: dict[int, str] | None = None
    for entry in entries.prefetch_related("transaction__entries__account"):
        posted = entry.transaction
        cash = entry.amount if entry.account.kind == AccountKind.GROUP_CASH_BOOK else Decimal("0")
        if posted.created_at < lower:
            opening += entry.amount
            opening_cash += cash
            continue
        if movements and movements[-1].transaction_id == posted.pk:  # a posting that touched both
            movements[-1].amount += entry.amount
            movements[-1].cash += cash
            continue
        label = _label(posted)
        member = ""
        if isinstance(posted.metadata.get("member"), int):
            names = _member_names(group) if names is None else names
            member = names.get(posted.metadata["member"], "")
        movements.append(
            Movement(
                posted.created_at,
                posted.kind,
                _describe(posted, group, label, member, entry.amount),
                entry.amount,
                parts=_parts(posted, None),
                cash=cash,
                transaction_id=posted.pk,
                label=label,
            )
        )
    return _finish(
        title=f"Group statement: {group.name}",
        group=group,
        holder=group.name,
        start=start,
        end=end,
        opening=opening,
        opening_cash=opening_cash,
        movements=movements,
    )


def _finish(*, title, group, holder, start, end, opening, opening_cash, movements) -> Statement:
    unit = minor_unit(group.currency)
    opening = Decimal(opening).quantize(unit)
    opening_cash = Decimal(opening_cash).quantize(unit)
    balance = opening
    cash_balance = opening_cash
    totals = dict.fromkeys(TOTAL_KINDS, Decimal("0").quantize(unit))
    for movement in movements:
        movement.amount = Decimal(movement.amount).quantize(unit)
        movement.cash = Decimal(movement.cash).quantize(unit)
        balance += movement.amount
        cash_balance += movement.cash
        movement.balance = balance
        for kind, amount in movement.parts.items():
            totals[kind] = (totals[kind] + amount).quantize(unit)
    return Statement(
        title=title,
        group=group,
        holder=holder,
        start=start,
        end=end,
        opening_balance=opening,
        closing_balance=balance,
        movements=movements,
        totals=totals,
        opening_cash=opening_cash,
        closing_cash=cash_balance,
    )


def statement_csv(data: dict) -> str:
    """`Statement.as_dict()` as CSV: a header row, then one row per movement (its `kind` column the label)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "kind", "description", "amount", "balance", "currency", "e_money", "cash"])
    for m in data["movements"]:
        description = spreadsheet_safe(m["description"])
        row = [m["date"], m.get("label") or m["kind"], description, m["amount"], m["balance"], data["currency"]]
        writer.writerow([*row, m["e_money"], m["cash"]])
    return out.getvalue()


def statement_pdf(data: dict) -> bytes:
    """`Statement.as_dict()` as an A4 PDF, with labels for people (never the ledger's kinds)."""
    currency = data["currency"]
    return document_pdf(
        title=data["title"],
        subtitle=f"{data['holder']} · {data['start']} to {data['end']} · {currency}",
        currency=currency,
        opening_balance=data["opening_balance"],
        movements=data["movements"],
        closing_balance=data["closing_balance"],
        closing_note=(
            f"of which e-money {currency} {data['by_channel']['e_money']['closing']}, "
            f"cash held by officials {currency} {data['by_channel']['cash']['closing']}"
        ),
        totals=[
            (TOTAL_LABELS.get(kind, kind.replace("_", " ").capitalize()), amount)
            for kind, amount in data["totals"].items()
        ],
    )
