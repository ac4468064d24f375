"""Customers' points: a `PointsEntry` per movement (earned +, spent or expired -) and `Customer.points`, their sum,
kept in step in the same transaction under the customer's row lock. The balance never goes below zero.

Expiry. Points earned expire `tenant.points_validity_days` after earning (the entry's `expires_at`, fixed when
earned). Spending consumes the oldest points first (first in, first out; strictly, those that expire soonest, which
is the same while the validity stays as it is). So at any moment a customer may keep at most the points of their
entries that have not expired yet, and what they hold above that is the unspent rest of expired entries:

    expired now = max(0, balance - Σ earned entries whose expires_at is still ahead (or none))

`expire_points` writes that as one negative entry per customer. It needs no link from a spend to the entries it
consumed, and running it twice changes nothing.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from loyalty.errors import InsufficientPointsError, LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import Customer, Issuance, PointsEntry, Tenant

logger = logging.getLogger("pamoja.loyalty")

EXPIRED_REASON = "expired"
MAX_POINTS = 10**12


# --- reads -------------------------------------------------------------------------------------------------------


def points_balance(*, tenant: Tenant, customer: Customer) -> int:
    """The customer's points now (read fresh)."""
    points = Customer.objects.filter(tenant=tenant, pk=customer.pk).values_list("points", flat=True).first()
    if points is None:
        raise LoyaltyObjectNotFoundError()
    return points


def points_entries_of(*, tenant: Tenant, customer: Customer) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(tenant=tenant, customer=customer).order_by("-created_at", "-pk")


def unexpired_points(*, tenant: Tenant, customer: Customer, now: datetime) -> int:
    """The points of the customer's earned entries that have not expired at `now`: the most they may hold."""
    total = PointsEntry.objects.filter(
        Q(expires_at__gt=now) | Q(expires_at__isnull=True), tenant=tenant, customer=customer, amount__gt=0
    ).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


# --- writes ------------------------------------------------------------------------------------------------------


def _locked_customer(*, tenant: Tenant, customer: Customer) -> Customer:
    locked = Customer.objects.select_for_update().filter(tenant=tenant, pk=customer.pk).first()
    if locked is None:
        raise LoyaltyObjectNotFoundError()
    return locked


def _check_amount(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_POINTS:
        raise LoyaltyInputError(details={"amount": ["A whole number of points, at least 1."]})


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 120:
        raise LoyaltyInputError(details={"reason": ["Say why, in at most 120 characters."]})
    return reason


def credit_points(
    *, tenant: Tenant, customer: Customer, amount: int, reason: str, issuance: Issuance | None = None
) -> PointsEntry:
    """Points earned: they expire `tenant.points_validity_days` from now."""
    _check_amount(amount)
    reason = _check_reason(reason)
    with transaction.atomic():
        locked = _locked_customer(tenant=tenant, customer=customer)
        entry = PointsEntry.objects.create(
            tenant=tenant,
            customer=locked,
            amount=amount,
            issuance=issuance,
            reason=reason,
            expires_at=timezone.now() + timedelta(days=tenant.points_validity_days),
        )
        Customer.objects.filter(pk=locked.pk).update(points=F("points") + amount)
    customer.points = locked.points + amount
    return entry


def spend_points(*, tenant: Tenant, customer: Customer, amount: int, reason: str, actor: str) -> PointsEntry:
    """Take `amount` points from the customer; `InsufficientPointsError` (409) if they have fewer."""
    _check_amount(amount)
    reason = _check_reason(reason)
    with transaction.atomic():
        locked = _locked_customer(tenant=tenant, customer=customer)
        if locked.points < amount:
            raise InsufficientPointsError(details={"points": locked.points, "amount": amount})
        entry = PointsEntry.objects.create(tenant=tenant, customer=locked, amount=-amount, reason=reason)
        Customer.objects.filter(pk=locked.pk).update(points=F("points") - amount)
    # PointsEntry has no actor column: who spent them is in the log
    logger.info(
        "points spent", extra={"tenant": str(tenant.pk), "customer": customer.pk, "amount": amount, "actor": actor}
    )
    customer.points = locked.points - amount
    return entry


def expire_points(*, tenant: Tenant, now: datetime) -> int:
    """Expire what each customer holds beyond their unexpired earned points (see the module's note); returns how
    many customers lost points. Safe to run twice."""
    valid = Coalesce(
        Sum(
            "points_entries__amount",
            filter=Q(points_entries__amount__gt=0)
            & (Q(points_entries__expires_at__gt=now) | Q(points_entries__expires_at__isnull=True)),
        ),
        0,
    )
    candidates = list(
        Customer.objects.filter(tenant=tenant, points__gt=0)
        .annotate(valid=valid)
        .filter(points__gt=F("valid"))
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in candidates:
        with transaction.atomic():
            customer = Customer.objects.select_for_update().get(tenant=tenant, pk=pk)
            excess = customer.points - unexpired_points(tenant=tenant, customer=customer, now=now)
            if excess <= 0:
                continue
            PointsEntry.objects.create(tenant=tenant, customer=customer, amount=-excess, reason=EXPIRED_REASON)
            Customer.objects.filter(pk=pk).update(points=F("points") - excess)
            expired += 1
    return expired
