"""Statements, read straight from the ledger: a member's account with their group, and the group's pot.

A member statement lists every posting about the member in the group. Its amount is what the member put in
(positive: contributions, dues, penalties, repayments, cash recorded by an official) or took out (negative:
payouts, refunds, loans), i.e. minus what the posting did to the member's wallet and, for money taken outside the
app, to the clearing account; the balance is the running total. A group statement lists the pot's entries; its
balances are the pot's ledger balance. Both group the same movements into totals by kind.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from groups.models import Membership, SavingsGroup
from groups.money import pot_of
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.money import minor_unit

TOTAL_KINDS = ("contributions", "payouts", "penalties", "deposits", "loans", "interest", "fees")


@dataclass
class Movement:
    at: datetime
    kind: str
    description: str
    amount: Decimal
    balance: Decimal = Decimal("0")
    parts: dict[str, Decimal] = field(default_factory=dict)


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

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "group": str(self.group.pk),
            "group_name": self.group.name,
            "holder": self.holder,
            "currency": self.group.currency,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "opening_balance": str(self.opening_balance),
            "closing_balance": str(self.closing_balance),
            "movements": [
                {
                    "date": m.at.astimezone(self.group.tz).isoformat(),
                    "kind": m.kind,
                    "description": m.description,
                    "amount": str(m.amount),
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
        if kind == AccountKind.FEE_INCOME:
            add("fees", entry.amount)
        elif kind == AccountKind.PENALTY_INCOME:
            add("penalties", entry.amount)
        elif kind in (AccountKind.GROUP_POT, AccountKind.GROUP_DEPOSIT_ESCROW):
            if posted.kind == TransactionKind.CONTRIBUTION:
                add("contributions" if kind == AccountKind.GROUP_POT else "deposits", entry.amount)
            elif posted.kind == TransactionKind.DEPOSIT_HOLD:
                add("deposits", entry.amount)
        elif (
            kind == AccountKind.USER_WALLET
            and posted.kind == TransactionKind.PAYOUT
            and (member_accounts is None or entry.account_id in member_accounts)
        ):
            add("payouts", -entry.amount)
    if posted.kind == TransactionKind.LOAN:
        interest = Decimal(posted.metadata.get("interest", "0"))
        principal = Decimal(posted.metadata.get("principal", "0"))
        add("interest", interest)
        add("loans", principal)
        if "interest" not in posted.metadata:  # a disbursement or a write-off: the principal leaves the pot
            add("loans", sum((e.amount for e in posted.entries.all() if e.account.kind == AccountKind.GROUP_POT), 0))
    return parts


def _describe(posted: LedgerTransaction) -> str:
    return posted.memo or posted.get_kind_display()


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
    opening = Decimal("0")
    movements = []
    for posted in postings:
        own = posted.metadata.get("member") == membership.pk
        amount = -sum(
            (
                e.amount
                for e in posted.entries.all()
                if e.account_id in wallet_ids
                or (own and e.account.kind == AccountKind.PROVIDER_CLEARING and e.account.code.startswith("group-"))
            ),
            Decimal("0"),
        )
        if posted.created_at < lower:
            opening += amount
            continue
        movements.append(
            Movement(posted.created_at, posted.kind, _describe(posted), amount, parts=_parts(posted, wallet_ids))
        )
    return _finish(
        title=f"Member statement: {group.name}",
        group=group,
        holder=membership.user.get_full_name() or membership.user.email,
        start=start,
        end=end,
        opening=opening,
        movements=movements,
    )


def group_statement(*, group: SavingsGroup, start: date, end: date) -> Statement:
    pot = pot_of(group)
    lower, upper = _bounds(group, start, end)
    entries = (
        pot.entries.filter(transaction__created_at__lt=upper)
        .select_related("transaction")
        .order_by("transaction__created_at", "pk")
    )
    opening = Decimal("0")
    movements = []
    for entry in entries.prefetch_related("transaction__entries__account"):
        posted = entry.transaction
        if posted.created_at < lower:
            opening += entry.amount
            continue
        movements.append(
            Movement(posted.created_at, posted.kind, _describe(posted), entry.amount, parts=_parts(posted, None))
        )
    return _finish(
        title=f"Group statement: {group.name}",
        group=group,
        holder=group.name,
        start=start,
        end=end,
        opening=opening,
        movements=movements,
    )


def _finish(*, title, group, holder, start, end, opening, movements) -> Statement:
    unit = minor_unit(group.currency)
    opening = Decimal(opening).quantize(unit)
    balance = opening
    totals = dict.fromkeys(TOTAL_KINDS, Decimal("0").quantize(unit))
    for movement in movements:
        movement.amount = Decimal(movement.amount).quantize(unit)
        balance += movement.amount
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
    )


def statement_csv(data: dict) -> str:
    """`Statement.as_dict()` as CSV: a header row, then one row per movement."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "kind", "description", "amount", "balance", "currency"])
    for m in data["movements"]:
        writer.writerow([m["date"], m["kind"], m["description"], m["amount"], m["balance"], data["currency"]])
    return out.getvalue()


def statement_pdf(data: dict) -> bytes:
    """`Statement.as_dict()` as an A4 PDF: the holder, the period, opening balance, movements, closing balance
    and totals by kind."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    currency = data["currency"]
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=data["title"], author="Pamoja")
    story = [
        Paragraph(data["title"], styles["Title"]),
        Paragraph(f"{data['holder']} · {data['from']} to {data['to']} · {currency}", styles["Normal"]),
        Spacer(1, 12),
        Paragraph(f"Opening balance: {currency} {data['opening_balance']}", styles["Normal"]),
        Spacer(1, 6),
    ]
    rows = [["Date", "Kind", "Description", "Amount", "Balance"]] + [
        [m["date"][:10], m["kind"], Paragraph(m["description"], styles["BodyText"]), m["amount"], m["balance"]]
        for m in data["movements"]
    ]
    table = Table(rows, colWidths=[62, 70, 200, 70, 70], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f6f50")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 12),
        Paragraph(f"Closing balance: {currency} {data['closing_balance']}", styles["Heading3"]),
    ]
    totals = [["Totals by kind", ""]] + [[kind, amount] for kind, amount in data["totals"].items()]
    story.append(Table(totals, colWidths=[200, 100], style=[("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    document.build(story)
    return buffer.getvalue()
