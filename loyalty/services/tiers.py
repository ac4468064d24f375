"""Tiers: levels a customer reaches by what they earned or spent in the tenant's rolling period.

The period's total (`period_total`) is, by `Tenant.tier_basis`:
- points: the sum of the customer's positive `PointsEntry` amounts created in the last `tier_period_days`
  (points earned; spending or expiring them does not lower a tier);
- spend: the sum of the numeric `data["amount"]` (JSON numbers above zero) of the customer's `purchase` events
  that occurred in the period. One event type for every tenant (`SPEND_EVENT_TYPE`), read through the event index
  (tenant, customer, event_type, occurred_at); a refund or any other event does not count as spend.

`review_tier` puts the customer where their total says: the highest tier reached is taken at once (up); a total
below the tier held follows `Tenant.tier_downgrade`: `never` keeps it, `immediate` drops to what is reached,
`grace` notes when the total fell below (`below_tier_since`) and drops once it stayed below `tier_grace_days`
(back above before that: the note is cleared). Every change is a `TierChange`. It runs after each event's rules
(the rules see the tier the customer had when the event arrived) and daily for every customer holding a tier,
because a total falls with time alone.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone

from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError, LoyaltyStateError
from loyalty.models import (
    Customer,
    Event,
    PointsEntry,
    Tenant,
    Tier,
    TierBasis,
    TierChange,
    TierDowngrade,
)

SPEND_EVENT_TYPE = "purchase"
MAX_THRESHOLD = Decimal("1000000000")
REVIEW_BATCH = 500


# --- reads -------------------------------------------------------------------------------------------------------


def tiers_of(*, tenant: Tenant) -> QuerySet[Tier]:
    """The tenant's tiers, lowest threshold first (rank 1, 2, …)."""
    return Tier.objects.filter(tenant=tenant).order_by("threshold", "pk")


def tier_of(*, tenant: Tenant, tier_id: int) -> Tier:
    found = Tier.objects.filter(tenant=tenant, pk=tier_id).first()
    if found is None:
        raise LoyaltyObjectNotFoundError("No such tier.", details={"tier": tier_id})
    return found


def tier_changes_of(*, tenant: Tenant, customer: Customer) -> QuerySet[TierChange]:
    return (
        TierChange.objects.filter(tenant=tenant, customer=customer)
        .select_related("from_tier", "to_tier")
        .order_by("-at", "-pk")
    )


def tier_facts(*, tenant: Tenant, customer: Customer) -> dict[str, Any]:
    """What rules read: `customer.tier` (the name, "" for none) and `customer.tier_rank` (0 for none, else the
    tier's place by threshold, from 1)."""
    if customer.tier_id is None:
        return {"tier": "", "tier_rank": 0}
    held = Tier.objects.filter(tenant=tenant, pk=customer.tier_id).values_list("name", "threshold").first()
    if held is None:
        return {"tier": "", "tier_rank": 0}
    name, threshold = held
    below = Tier.objects.filter(tenant=tenant, threshold__lt=threshold).count()
    return {"tier": name, "tier_rank": below + 1}


def _period_start(tenant: Tenant, at: datetime) -> datetime:
    return at - timedelta(days=tenant.tier_period_days)


def _spend(amount: Any) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return Decimal(0)
    value = Decimal(str(amount))
    return value if value.is_finite() and value > 0 else Decimal(0)


def period_totals(*, tenant: Tenant, customer_ids: list[int], at: datetime) -> dict[int, Decimal]:
    """Each customer's total in the rolling period ending at `at` (see the module's docstring), in one query."""
    totals = dict.fromkeys(customer_ids, Decimal(0))
    if not customer_ids:
        return totals
    since = _period_start(tenant, at)
    if tenant.tier_basis == TierBasis.SPEND:
        rows = Event.objects.filter(
            tenant=tenant,
            customer_id__in=customer_ids,
            event_type=SPEND_EVENT_TYPE,
            occurred_at__gt=since,
            occurred_at__lte=at,
        ).values_list("customer_id", "data")
        for customer_id, data in rows:
            totals[customer_id] += _spend(data.get("amount") if isinstance(data, dict) else None)
        return totals
    earned = (
        PointsEntry.objects.filter(
            tenant=tenant, customer_id__in=customer_ids, amount__gt=0, created_at__gt=since, created_at__lte=at
        )
        .values("customer_id")
        .annotate(total=Sum("amount"))
    )
    for row in earned:
        totals[row["customer_id"]] = Decimal(row["total"] or 0)
    return totals


def period_total(*, tenant: Tenant, customer: Customer, at: datetime) -> Decimal:
    return period_totals(tenant=tenant, customer_ids=[customer.pk], at=at)[customer.pk]


@dataclass(frozen=True)
class TierStanding:
    """Where a customer stands: the tier held, the period's total, the next tier and what it still needs."""

    tier: Tier | None
    total: Decimal
    next_tier: Tier | None
    missing: Decimal | None
    below_tier_since: datetime | None
    tier_since: datetime | None


def tier_standing(*, tenant: Tenant, customer: Customer, at: datetime) -> TierStanding:
    tiers = list(tiers_of(tenant=tenant))
    total = period_total(tenant=tenant, customer=customer, at=at)
    held = next((t for t in tiers if t.pk == customer.tier_id), None)
    floor = held.threshold if held is not None else Decimal(0)
    next_tier = next((t for t in tiers if t.threshold > floor and t.threshold > total), None)
    return TierStanding(
        tier=held,
        total=total,
        next_tier=next_tier,
        missing=(next_tier.threshold - total) if next_tier is not None else None,
        below_tier_since=customer.below_tier_since,
        tier_since=customer.tier_since,
    )


# --- writes: the tiers -------------------------------------------------------------------------------------------


def _check_threshold(threshold: Any) -> Decimal:
    try:
        value = Decimal(str(threshold))
    except ArithmeticError:
        value = Decimal(0)
    if not value.is_finite() or not 0 < value <= MAX_THRESHOLD or value != value.quantize(Decimal("0.01")):
        raise LoyaltyInputError(details={"threshold": ["More than zero, at most 1000000000, two decimals at most."]})
    return value.quantize(Decimal("0.01"))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise LoyaltyInputError(details={"name": ["A name of 1 to 60 characters."]})
    return name


def _saved(tier: Tier, fields: list[str] | None = None) -> Tier:
    try:
        with transaction.atomic():
            if fields is None:
                tier.save()
            else:
                tier.save(update_fields=fields)
    except IntegrityError:
        raise LoyaltyStateError(
            "Another tier has this name or threshold.", details={"name": tier.name, "threshold": str(tier.threshold)}
        ) from None
    return tier


def create_tier(*, tenant: Tenant, name: str, threshold: Any, benefits: str = "") -> Tier:
    """A new level; a name or threshold another tier of the tenant has is a conflict (409). Customers reach it at
    their next review (their next event, or the daily job)."""
    tier = Tier(tenant=tenant, name=_check_name(name), threshold=_check_threshold(threshold), benefits=benefits or "")
    return _saved(tier)


def update_tier(
    *, tenant: Tenant, tier_id: int, name: str | None = None, threshold: Any = None, benefits: str | None = None
) -> Tier:
    with transaction.atomic():
        tier = Tier.objects.select_for_update().filter(tenant=tenant, pk=tier_id).first()
        if tier is None:
            raise LoyaltyObjectNotFoundError("No such tier.", details={"tier": tier_id})
        fields: list[str] = []
        if name is not None:
            tier.name, fields = _check_name(name), [*fields, "name"]
        if threshold is not None:
            tier.threshold, fields = _check_threshold(threshold), [*fields, "threshold"]
        if benefits is not None:
            tier.benefits, fields = benefits, [*fields, "benefits"]
        if fields:
            _saved(tier, fields)
    return tier


def delete_tier(*, tenant: Tenant, tier_id: int) -> int:
    """Delete a tier. Its holders move down to the next lower tier (or none), each with a `TierChange`, in the same
    transaction; their next review puts them where their total says. Returns how many moved."""
    with transaction.atomic():
        tier = Tier.objects.select_for_update().filter(tenant=tenant, pk=tier_id).first()
        if tier is None:
            raise LoyaltyObjectNotFoundError("No such tier.", details={"tier": tier_id})
        lower = tiers_of(tenant=tenant).filter(threshold__lt=tier.threshold).order_by("-threshold").first()
        holders = list(Customer.objects.select_for_update().filter(tenant=tenant, tier=tier).order_by("pk"))
        now = timezone.now()
        totals = period_totals(tenant=tenant, customer_ids=[c.pk for c in holders], at=now)
        TierChange.objects.bulk_create(
            TierChange(tenant=tenant, customer=c, from_tier=tier, to_tier=lower, total=totals[c.pk]) for c in holders
        )
        Customer.objects.filter(tenant=tenant, pk__in=[c.pk for c in holders]).update(
            tier=lower, tier_since=now, below_tier_since=None, updated_at=now
        )
        tier.delete()
    return len(holders)


# --- writes: where a customer stands -----------------------------------------------------------------------------


def _reached(tiers: list[Tier], total: Decimal) -> Tier | None:
    reached = None
    for tier in tiers:  # by threshold, ascending
        if tier.threshold <= total:
            reached = tier
    return reached


def _place(*, tenant: Tenant, customer: Customer, tiers: list[Tier], total: Decimal, at: datetime) -> list[str]:
    """Move a locked customer where `total` says under the tenant's policy; the fields changed (none: no change)."""
    held = next((t for t in tiers if t.pk == customer.tier_id), None)
    reached = _reached(tiers, total)
    floor = held.threshold if held is not None else Decimal(0)
    reached_floor = reached.threshold if reached is not None else Decimal(0)
    if reached_floor >= floor or tenant.tier_downgrade == TierDowngrade.NEVER:
        if reached_floor > floor:
            return _move(tenant=tenant, customer=customer, to_tier=reached, total=total, at=at)
        if customer.below_tier_since is not None:  # back at (or above) the tier, or the policy keeps it anyway
            customer.below_tier_since = None
            return ["below_tier_since"]
        return []
    if tenant.tier_downgrade == TierDowngrade.GRACE:
        noted = customer.below_tier_since is None
        if noted:
            customer.below_tier_since = at
        if at - (customer.below_tier_since or at) < timedelta(days=tenant.tier_grace_days):
            return ["below_tier_since"] if noted else []
    return _move(tenant=tenant, customer=customer, to_tier=reached, total=total, at=at)


def _move(*, tenant: Tenant, customer: Customer, to_tier: Tier | None, total: Decimal, at: datetime) -> list[str]:
    TierChange.objects.create(
        tenant=tenant, customer=customer, from_tier_id=customer.tier_id, to_tier=to_tier, total=total
    )
    customer.tier = to_tier
    customer.tier_since = at
    customer.below_tier_since = None
    return ["tier", "tier_since", "below_tier_since"]


def review_tier(*, tenant: Tenant, customer: Customer, at: datetime | None = None) -> Customer:
    """Put the customer in the tier their period's total reaches (see the module's docstring), under their row's
    lock; returns the customer as it now is."""
    at = at or timezone.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().filter(tenant=tenant, pk=customer.pk).first()
        if locked is None:
            raise LoyaltyObjectNotFoundError()
        tiers = list(tiers_of(tenant=tenant))
        if locked.tier_id is None and not tiers:
            return locked
        total = period_total(tenant=tenant, customer=locked, at=at)
        changed = _place(tenant=tenant, customer=locked, tiers=tiers, total=total, at=at)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def review_held_tiers(*, tenant: Tenant, now: datetime) -> int:
    """The daily review of every customer holding a tier (a total falls with time, with no event); returns how many
    changed tier. Rows another transaction holds (an event being evaluated, which reviews them itself) are skipped."""
    tiers = list(tiers_of(tenant=tenant))
    changed = 0
    after = 0
    while True:
        with transaction.atomic():
            batch = list(
                Customer.objects.select_for_update(skip_locked=True)
                .filter(tenant=tenant, tier__isnull=False, pk__gt=after)
                .order_by("pk")[:REVIEW_BATCH]
            )
            totals = period_totals(tenant=tenant, customer_ids=[c.pk for c in batch], at=now)
            for customer in batch:
                before = customer.tier_id
                fields = _place(tenant=tenant, customer=customer, tiers=tiers, total=totals[customer.pk], at=now)
                if fields:
                    customer.save(update_fields=[*fields, "updated_at"])
                changed += customer.tier_id != before
        if len(batch) < REVIEW_BATCH:
            return changed
        after = batch[-1].pk
