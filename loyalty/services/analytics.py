"""Merchant analytics: a tenant's figures per day over a range of at most 366 days, the days being the tenant's own
(`Tenant.time_zone`), so a sale at 00:30 in Nairobi counts on the Nairobi day, not on UTC's.

What a day counts:
- `events`: events that occurred that day (`Event.occurred_at`).
- `new_customers`: customers enrolled that day (`Customer.created_at`).
- `issuances`: rewards given that day (`Issuance.created_at`), of every type, points included.
- `redemptions`: rewards redeemed that day (transitions to `redeemed`), points rewards excluded: a points reward is
  delivered as it is given (reserved → issued → redeemed in one transaction), so no customer redeemed anything, and
  counting it would make a programme that gives points look like one whose rewards are all used.
- `budget_used`: the money charged to the tenant's budgets that day, i.e. the cost of every issuance that became
  `redeemed` that day, points included (their cost is charged as they are given). It is what the budgets' spent
  account (`utilized`) grew by that day; a cost reserved and then released (expired, cancelled) never counts.
- the redemption rate: redemptions / issuances (null with no issuances); a day's may exceed 1, since rewards given
  earlier are redeemed on it.
- top rules and top rewards over the range: by issuances, then redemptions, with their current names.

Where the figures come from: a day that is over (before today in the tenant's zone) from its `DailyStats` row, rolled
up by the nightly job, or counted and stored by the first call that needs it; today (and any day not over yet) is
counted live. Either way the counting is a fixed set of indexed queries grouped by local day, so a call costs the
same number of queries whatever its range and however many rows it counts.

A fact that arrives after its day was rolled up (an event reported late with a past `occurred_at`) counts once the day
is rolled up again: `roll_up_day` replaces the row, and the nightly job rolls up yesterday and the day before (and
any day of the last 366 still without a row).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from loyalty.errors import LoyaltyInputError
from loyalty.models import (
    Customer,
    DailyStats,
    Event,
    Issuance,
    IssuanceState,
    IssuanceTransition,
    Reward,
    RewardType,
    Rule,
    Tenant,
)

MAX_DAYS = 366
DEFAULT_DAYS = 30
TOP = 10
RECHECKED_DAYS = 2  # the nightly job rolls up yesterday and, again, the day before: events reported after midnight
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# `DailyStats.top`: {"rules": {"<rule id>": [issuances, redemptions]}, "rewards": {"<reward id>": [...]}}
Tally = dict[str, dict[str, list[int]]]


@dataclass
class DayFigures:
    day: date
    events: int = 0
    new_customers: int = 0
    issuances: int = 0
    redemptions: int = 0
    budget_used: Decimal = ZERO
    top: Tally = field(default_factory=lambda: {"rules": {}, "rewards": {}})
    rolled_up: bool = False  # read from its `DailyStats` row, rather than counted by this call

    @property
    def redemption_rate(self) -> float | None:
        return rate(self.redemptions, self.issuances)


@dataclass(frozen=True)
class Totals:
    events: int
    new_customers: int
    issuances: int
    redemptions: int
    budget_used: Decimal

    @property
    def redemption_rate(self) -> float | None:
        return rate(self.redemptions, self.issuances)


@dataclass(frozen=True)
class Ranked:
    """A rule or reward among the range's top ones. `name` is None for a rule deleted since."""

    id: int
    name: str | None
    issuances: int
    redemptions: int
    reward_type: str | None = None


@dataclass(frozen=True)
class Figures:
    start: date
    end: date
    time_zone: str
    currency: str
    days: list[DayFigures]
    totals: Totals
    top_rules: list[Ranked]
    top_rewards: list[Ranked]


def rate(redemptions: int, issuances: int) -> float | None:
    return round(redemptions / issuances, 4) if issuances else None


def tenant_zone(tenant: Tenant) -> ZoneInfo:
    return ZoneInfo(tenant.time_zone)


def tenant_today(tenant: Tenant, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(tenant_zone(tenant)).date()


def analytics_range(*, start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The days asked for, both included: by default the last 30 days to today; only `start` given, the 30 days from
    it; only `end`, the 30 days to it. `LoyaltyInputError` (naming the field) when the start is after the end or the
    range is longer than 366 days."""
    span = timedelta(days=DEFAULT_DAYS - 1)
    if start is None:
        end = end or today
        start = end - span
    elif end is None:
        end = start + span
    if start > end:
        raise LoyaltyInputError("The range starts after it ends.", details={"from": ["The start comes after the end."]})
    if (end - start).days + 1 > MAX_DAYS:
        raise LoyaltyInputError(
            f"A range is at most {MAX_DAYS} days.", details={"to": [f"At most {MAX_DAYS} days after `from`."]}
        )
    return start, end


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """From the first day's local midnight to the midnight after the last day."""
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _per_day(rows: QuerySet[Any], moment: str, zone: ZoneInfo, *keys: str, **totals: Any) -> QuerySet[Any]:
    """Rows grouped by their local day (and `keys`): one GROUP BY over the (tenant, moment) index."""
    return (
        rows.order_by()
        .annotate(day=TruncDate(moment, tzinfo=zone))
        .values("day", *keys)
        .annotate(count=Count("*"), **totals)
    )


def _add(tally: Tally, kind: str, key: int | None, issued: int, redeemed: int) -> None:
    if key is None:
        return
    pair = tally[kind].setdefault(str(key), [0, 0])
    pair[0] += issued
    pair[1] += redeemed


def count_days(*, tenant: Tenant, first: date, last: date) -> dict[date, DayFigures]:
    """Count the days from `first` to `last` from the tables, live: four grouped queries, whatever the span."""
    zone = tenant_zone(tenant)
    since, until = _bounds(zone, first, last)
    days = {day: DayFigures(day=day) for day in _days(first, last)}

    def on(row: dict[str, Any]) -> DayFigures:
        return days.setdefault(row["day"], DayFigures(day=row["day"]))

    events = Event.objects.filter(tenant=tenant, occurred_at__gte=since, occurred_at__lt=until)
    for row in _per_day(events, "occurred_at", zone):
        on(row).events = row["count"]
    joined = Customer.objects.filter(tenant=tenant, created_at__gte=since, created_at__lt=until)
    for row in _per_day(joined, "created_at", zone):
        on(row).new_customers = row["count"]
    given = Issuance.objects.filter(tenant=tenant, created_at__gte=since, created_at__lt=until)
    for row in _per_day(given, "created_at", zone, "rule_id", "reward_id"):
        figures = on(row)
        figures.issuances += row["count"]
        _add(figures.top, "rules", row["rule_id"], row["count"], 0)
        _add(figures.top, "rewards", row["reward_id"], row["count"], 0)
    redeemed = IssuanceTransition.objects.filter(
        tenant=tenant, to_state=IssuanceState.REDEEMED, at__gte=since, at__lt=until
    )
    keys = ("issuance__rule_id", "issuance__reward_id", "issuance__reward__reward_type")
    for row in _per_day(redeemed, "at", zone, *keys, cost=Sum("issuance__cost")):
        figures = on(row)
        figures.budget_used += Decimal(row["cost"] or 0)
        if row["issuance__reward__reward_type"] == RewardType.POINTS:
            continue
        figures.redemptions += row["count"]
        _add(figures.top, "rules", row["issuance__rule_id"], 0, row["count"])
        _add(figures.top, "rewards", row["issuance__reward_id"], 0, row["count"])
    for figures in days.values():
        figures.budget_used = figures.budget_used.quantize(CENT)
    return {day: days[day] for day in sorted(days) if first <= day <= last}


def _store(*, tenant: Tenant, days: Iterable[DayFigures]) -> None:
    """Insert or replace each day's row, in one statement."""
    rows = [
        DailyStats(
            tenant=tenant,
            day=figures.day,
            events=figures.events,
            new_customers=figures.new_customers,
            issuances=figures.issuances,
            redemptions=figures.redemptions,
            budget_used=figures.budget_used,
            top=figures.top,
        )
        for figures in sorted(days, key=lambda figures: figures.day)  # one order for every writer: no deadlock
    ]
    if rows:
        DailyStats.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["tenant", "day"],
            update_fields=["events", "new_customers", "issuances", "redemptions", "budget_used", "top", "computed_at"],
        )


def roll_up_day(*, tenant: Tenant, day: date, now: datetime | None = None) -> DayFigures:
    """Count one day that is over and store it as its `DailyStats` row, replacing any row already there: safe to run
    twice, and the way to take in facts reported late. Call inside the tenant's transaction. A day not over yet in
    the tenant's zone → `LoyaltyInputError` (its figures are still moving)."""
    if day >= tenant_today(tenant, now=now):
        raise LoyaltyInputError("Only a day that is over is rolled up.", details={"day": [str(day)]})
    figures = count_days(tenant=tenant, first=day, last=day)[day]
    _store(tenant=tenant, days=[figures])
    return figures


def roll_up_recent_days(*, tenant: Tenant, now: datetime | None = None) -> int:
    """The nightly job's part for one tenant: yesterday in its zone and the day before again (late events), and any
    day of the last 366 with no row yet (the first night after a deployment), so no console call has to count a
    year itself. One count over the span, one upsert; returns how many days were rolled up."""
    today = tenant_today(tenant, now=now)
    yesterday = today - timedelta(days=1)
    days = _days(today - timedelta(days=MAX_DAYS), yesterday)
    stored = set(
        DailyStats.objects.filter(tenant=tenant, day__gte=days[0], day__lte=yesterday).values_list("day", flat=True)
    )
    wanted = [day for day in days[:-RECHECKED_DAYS] if day not in stored] + days[-RECHECKED_DAYS:]
    counted = count_days(tenant=tenant, first=wanted[0], last=yesterday)
    _store(tenant=tenant, days=[counted[day] for day in wanted])
    return len(wanted)


def _stored(row: DailyStats) -> DayFigures:
    return DayFigures(
        day=row.day,
        events=row.events,
        new_customers=row.new_customers,
        issuances=row.issuances,
        redemptions=row.redemptions,
        budget_used=Decimal(row.budget_used).quantize(CENT),
        top={"rules": dict(row.top.get("rules", {})), "rewards": dict(row.top.get("rewards", {}))},
        rolled_up=True,
    )


def _ranked(tally: dict[str, list[int]]) -> list[tuple[int, int, int]]:
    """The TOP (id, issuances, redemptions), most issued first, then most redeemed, then the oldest id."""
    ordered = sorted(((int(key), pair[0], pair[1]) for key, pair in tally.items()), key=lambda t: (-t[1], -t[2], t[0]))
    return ordered[:TOP]


def _top(days: list[DayFigures], tenant: Tenant) -> tuple[list[Ranked], list[Ranked]]:
    summed: Tally = {"rules": defaultdict(lambda: [0, 0]), "rewards": defaultdict(lambda: [0, 0])}
    for figures in days:
        for kind in ("rules", "rewards"):
            for key, (issued, redeemed) in figures.top.get(kind, {}).items():
                summed[kind][key][0] += issued
                summed[kind][key][1] += redeemed
    rules, rewards = _ranked(summed["rules"]), _ranked(summed["rewards"])
    rule_names = dict(Rule.objects.filter(tenant=tenant, pk__in=[r[0] for r in rules]).values_list("pk", "name"))
    reward_rows = Reward.objects.filter(tenant=tenant, pk__in=[r[0] for r in rewards]).values_list(
        "pk", "name", "reward_type"
    )
    reward_names: dict[int, tuple[str | None, str | None]] = {pk: (name, kind) for pk, name, kind in reward_rows}
    top_rewards = []
    for pk, issued, redeemed in rewards:
        name, reward_type = reward_names.get(pk, (None, None))
        top_rewards.append(Ranked(id=pk, name=name, issuances=issued, redemptions=redeemed, reward_type=reward_type))
    top_rules = [Ranked(id=pk, name=rule_names.get(pk), issuances=i, redemptions=r) for pk, i, r in rules]
    return top_rules, top_rewards


def daily_figures(
    *, tenant: Tenant, start: date | None = None, end: date | None = None, now: datetime | None = None
) -> Figures:
    """The tenant's figures per day from `start` to `end` (its local days, both included; defaults as in
    `analytics_range`), their totals and the top rules and rewards. Call inside the tenant's transaction: a day that
    is over and has no `DailyStats` row yet is counted and stored on the way. At most eight queries on PostgreSQL
    (SQLite splits a long upsert in batches)."""
    today = tenant_today(tenant, now=now)
    start, end = analytics_range(start=start, end=end, today=today)
    found: dict[date, DayFigures] = {}
    if start < today:
        for row in DailyStats.objects.filter(tenant=tenant, day__gte=start, day__lte=min(end, today - timedelta(1))):
            found[row.day] = _stored(row)
    missing = [day for day in _days(start, end) if day not in found]
    if missing:
        counted = count_days(tenant=tenant, first=missing[0], last=missing[-1])
        found.update({day: counted[day] for day in missing})
        _store(tenant=tenant, days=[counted[day] for day in missing if day < today])
    days = [found[day] for day in _days(start, end)]
    totals = Totals(
        events=sum(d.events for d in days),
        new_customers=sum(d.new_customers for d in days),
        issuances=sum(d.issuances for d in days),
        redemptions=sum(d.redemptions for d in days),
        budget_used=sum((d.budget_used for d in days), ZERO).quantize(CENT),
    )
    top_rules, top_rewards = _top(days, tenant)
    return Figures(
        start=start,
        end=end,
        time_zone=tenant.time_zone,
        currency=tenant.currency,
        days=days,
        totals=totals,
        top_rules=top_rules,
        top_rewards=top_rewards,
    )
