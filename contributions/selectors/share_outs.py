"""How a savings group's pot would be shared out today, and the share-outs it has had.

A member's savings are their e-money contributions and top-ups not yet returned by a share-out. Each saving earns
share-months: its amount times the months it was held, from the day paid to the share-out day (a month begun
counts as a whole month; a saving paid on the day itself earns none). The share-out gives every saver their savings
back, and shares the earnings (the pot beyond the savings: loan interest, fines, penalties, registration fees, less
spending the members voted) in proportion to share-months, by largest remainder so the parts sum to the pot
exactly. When the pot holds less than the savings (a loss), the pot is shared in proportion to savings instead.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Prefetch, QuerySet

from contributions.errors import ShareOutNotFoundError
from contributions.models import (
    Contribution,
    ContributionStatus,
    LoanStatus,
    SavingsTopUp,
    SettledBy,
    ShareOut,
    ShareOutLine,
)
from contributions.selectors.balances import owned_balance
from core.money import allocate, round_money
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, SavingsGroup
from payments.models import AccountKind

ZERO = Decimal("0.00")
MAX_SHARE_OUTS = 32767  # the number column's range: a larger one in a URL finds nothing


@dataclass(frozen=True)
class SavingItem:
    kind: str  # "contribution" or "top_up"
    id: int
    paid_on: date
    amount: Decimal
    months: int

    @property
    def share_months(self) -> Decimal:
        return self.amount * self.months


@dataclass
class ShareOutLinePlan:
    membership: Membership
    items: list[SavingItem] = field(default_factory=list)
    earnings: Decimal = ZERO
    fee: Decimal = ZERO

    @property
    def savings(self) -> Decimal:
        return sum((item.amount for item in self.items), ZERO)

    @property
    def share_months(self) -> Decimal:
        return sum((item.share_months for item in self.items), ZERO)

    @property
    def gross(self) -> Decimal:
        return self.savings + self.earnings

    @property
    def amount(self) -> Decimal:
        return self.gross - self.fee


@dataclass
class ShareOutPlan:
    group: SavingsGroup
    number: int
    as_of: date
    pot: Decimal
    lines: list[ShareOutLinePlan]
    blocked_by: dict[str, object]

    @property
    def savings(self) -> Decimal:
        return sum((line.savings for line in self.lines), ZERO)

    @property
    def earnings(self) -> Decimal:
        return self.pot - self.savings

    @property
    def fee(self) -> Decimal:
        return sum((line.fee for line in self.lines), ZERO)


def months_held(paid_on: date, as_of: date) -> int:
    """Whole months from `paid_on` to `as_of`, a month begun counting as a whole one."""
    if paid_on >= as_of:
        return 0
    months = (as_of.year - paid_on.year) * 12 + (as_of.month - paid_on.month)
    if paid_on + relativedelta(months=months) > as_of:
        return months  # the last month is begun but not complete: it counts
    return months + (1 if paid_on + relativedelta(months=months) < as_of else 0)


def period_end(group: SavingsGroup, number: int) -> date:
    """Period `number`'s scheduled share-out day: the group's first share-out date, then yearly."""
    assert group.share_out_date is not None
    return group.share_out_date + relativedelta(years=number - 1)


def last_share_out(group: SavingsGroup) -> ShareOut | None:
    return group.share_outs.order_by("-number").first()


def current_period_end(group: SavingsGroup) -> date:
    """The next scheduled share-out day: the first after the last share-out (one by resolution does not move the
    calendar; the period after it ends on the next scheduled day)."""
    last = last_share_out(group)
    number = 1
    while last is not None and period_end(group, number) <= last.as_of:
        number += 1
    return period_end(group, number)


def unreturned_contributions(group: SavingsGroup) -> QuerySet[Contribution]:
    return Contribution.objects.filter(
        cycle__group=group, status=ContributionStatus.PAID, share_out__isnull=True
    ).exclude(settled_by=SettledBy.RECORDED)


def unreturned_top_ups(group: SavingsGroup) -> QuerySet[SavingsTopUp]:
    return SavingsTopUp.objects.filter(membership__group=group, share_out__isnull=True)


def _day(when: datetime | None, tz: tzinfo) -> date:
    assert when is not None  # a paid contribution has its time; a top-up is paid when made
    return when.astimezone(tz).date()


def savings_items(group: SavingsGroup, as_of: date) -> dict[int, list[SavingItem]]:
    """Every saving not yet returned, by membership id, oldest first."""
    tz = group.tz
    items: dict[int, list[SavingItem]] = {}
    for c in unreturned_contributions(group).only("id", "membership_id", "amount", "paid_at").order_by("paid_at", "id"):
        paid_on = _day(c.paid_at, tz)
        items.setdefault(c.membership_id, []).append(
            SavingItem("contribution", c.pk, paid_on, c.amount, months_held(paid_on, as_of))
        )
    for t in unreturned_top_ups(group).only("id", "membership_id", "amount", "paid_at").order_by("paid_at", "id"):
        paid_on = _day(t.paid_at, tz)
        items.setdefault(t.membership_id, []).append(
            SavingItem("top_up", t.pk, paid_on, t.amount, months_held(paid_on, as_of))
        )
    for member_items in items.values():
        member_items.sort(key=lambda item: (item.paid_on, item.kind, item.id))
    return items


def plan_share_out(*, group: SavingsGroup, as_of: date, pot: Decimal | None = None) -> ShareOutPlan:
    """The share-out as it would be posted on `as_of` (the service passes the pot's balance read under its lock)."""
    if pot is None:
        pot = owned_balance(kind=AccountKind.GROUP_POT, owner_type="group", owner_id=group.pk, currency=group.currency)
    last = last_share_out(group)
    items = savings_items(group, as_of)
    members = {m.pk: m for m in Membership.objects.filter(pk__in=items).select_related("user")}
    lines = [ShareOutLinePlan(membership=members[pk], items=items[pk]) for pk in sorted(items)]
    blocked_by: dict[str, object] = {}
    open_loans = group.loans.filter(status=LoanStatus.DISBURSED).count()
    if open_loans:
        blocked_by["loans_outstanding"] = open_loans
    plan = ShareOutPlan(
        group=group, number=(last.number + 1) if last else 1, as_of=as_of, pot=pot, lines=lines, blocked_by=blocked_by
    )
    if not lines:
        if pot > 0:
            blocked_by["no_savings"] = "Nobody has savings to share the pot by."
        return plan
    earnings = plan.earnings
    if earnings >= 0:
        weights = [line.share_months for line in lines]
        if not any(weights):
            weights = [line.savings for line in lines]
        for line, part in zip(lines, allocate(earnings, weights, group.currency), strict=True):
            line.earnings = part
    else:
        for line, gross in zip(lines, allocate(pot, [line.savings for line in lines], group.currency), strict=True):
            line.earnings = gross - line.savings
    for line in lines:
        line.fee = round_money(line.gross * group.service_fee_percent / 100, group.currency)
    return plan


def top_ups_of(*, membership: Membership) -> QuerySet[SavingsTopUp]:
    return SavingsTopUp.objects.filter(membership=membership, share_out__isnull=True).order_by("-paid_at", "-id")


def _mine(line, items: list[SavingItem]) -> dict:
    return {
        "membership": line.membership,
        "savings": line.savings,
        "share_months": line.share_months,
        "earnings": line.earnings,
        "gross": line.gross,
        "fee": line.fee,
        "amount": line.amount,
        "items": [{**item.__dict__, "share_months": item.share_months} for item in items],
    }


def share_out_preview(*, membership: Membership) -> dict:
    """The current period's share-out as it would be with today's pot; officials see every part."""
    group = membership.group
    if not group.is_savings or group.status != GroupStatus.ACTIVE:
        raise GroupStateError("Only a running savings group shares out its pot.")
    plan = plan_share_out(group=group, as_of=current_period_end(group))
    mine = next((line for line in plan.lines if line.membership.pk == membership.pk), None)
    return {
        "number": plan.number,
        "as_of": plan.as_of,
        "currency": group.currency,
        "pot": plan.pot,
        "savings": plan.savings,
        "earnings": plan.earnings,
        "fee": plan.fee,
        "blocked_by": plan.blocked_by,
        "lines": plan.lines if membership.is_official else ([mine] if mine else []),
        "mine": _mine(mine, mine.items) if mine else None,
    }


def share_outs_visible_to(
    *, membership: Membership, number: int | None = None
) -> tuple[list[ShareOut], dict[int, dict]]:
    """The group's share-outs (one, by `number`), newest first, with every line for officials and the member's own
    for the rest; and the member's own part of each with its computation."""
    group = membership.group
    found = group.share_outs.select_related("group").order_by("-number")
    if number is not None:
        found = found.filter(number=number) if number <= MAX_SHARE_OUTS else found.none()
    lines = ShareOutLine.objects.select_related("membership")
    if not membership.is_official:
        lines = lines.filter(membership=membership)
    share_outs = list(found.prefetch_related(Prefetch("lines", queryset=lines))[:200])
    if number is not None and not share_outs:
        raise ShareOutNotFoundError()
    mine = {}
    for made in share_outs:
        line = next((line for line in made.lines.all() if line.membership_id == membership.pk), None)
        if line is not None:
            mine[made.pk] = _mine(line, items_of(share_out=made, membership_id=membership.pk))
    return share_outs, mine


def items_of(*, share_out: ShareOut, membership_id: int) -> list[SavingItem]:
    """The savings one share-out returned to a member, with the share-months each earned (its statement)."""
    tz = share_out.group.tz
    found = [
        SavingItem("contribution", c.pk, _day(c.paid_at, tz), c.amount, 0)
        for c in share_out.contributions.filter(membership_id=membership_id)
    ] + [
        SavingItem("top_up", t.pk, _day(t.paid_at, tz), t.amount, 0)
        for t in share_out.top_ups.filter(membership_id=membership_id)
    ]
    return sorted(
        (
            SavingItem(item.kind, item.id, item.paid_on, item.amount, months_held(item.paid_on, share_out.as_of))
            for item in found
        ),
        key=lambda item: (item.paid_on, item.kind, item.id),
    )
