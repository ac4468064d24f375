"""Scheduled loyalty work, across tenants: each job lists the tenants (in `all_tenants()`), then does each tenant's
part in that tenant's own transaction (`tenant_context`), so row-level security holds while it writes and one
tenant's failure neither undoes nor stops another's. Thin: the work is in the services. Safe to run twice."""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from loyalty.models import Tenant
from loyalty.services.analytics import roll_up_recent_days
from loyalty.services.issuances import expire_due_issuances, warn_expiring_issuances
from loyalty.services.points import expire_points as expire_tenant_points
from loyalty.services.tiers import review_held_tiers
from loyalty.tenancy import all_tenants, tenant_context

logger = logging.getLogger("pamoja.loyalty")


def _tenant_ids() -> list[uuid.UUID]:
    with all_tenants():
        return list(Tenant.objects.order_by("pk").values_list("pk", flat=True))


def _each_tenant(job: str, work: Callable[[Tenant], int]) -> int:
    done = 0
    for tenant_id in _tenant_ids():
        try:
            with tenant_context(tenant_id):
                tenant = Tenant.objects.filter(pk=tenant_id).first()
                if tenant is not None:  # deleted since it was listed
                    done += work(tenant)
        except Exception:
            logger.exception("%s failed for tenant %s; the other tenants go on", job, tenant_id)
    return done


def expire_issuances(*, now: datetime | None = None) -> int:
    """Expire every tenant's rewards whose time has come; returns how many."""
    at = now or timezone.now()
    return _each_tenant("expire_issuances", lambda tenant: expire_due_issuances(tenant=tenant, now=at))


def warn_expiring(*, now: datetime | None = None) -> int:
    """Text customers whose rewards expire within three days (once per reward); returns how many."""
    at = now or timezone.now()
    return _each_tenant("warn_expiring", lambda tenant: warn_expiring_issuances(tenant=tenant, now=at))


def expire_points(*, now: datetime | None = None) -> int:
    """Expire every tenant's points past their validity; returns how many customers lost points."""
    at = now or timezone.now()
    return _each_tenant("expire_points", lambda tenant: expire_tenant_points(tenant=tenant, now=at))


def roll_up_yesterday(*, now: datetime | None = None) -> int:
    """Roll up every tenant's yesterday (in its own zone) into `DailyStats`, the day before again for events reported
    late, and any day of the last 366 without a row yet; returns how many tenant-days were stored."""
    at = now or timezone.now()
    return _each_tenant("roll_up_yesterday", lambda tenant: roll_up_recent_days(tenant=tenant, now=at))


def review_tiers(*, now: datetime | None = None) -> int:
    """Review every customer holding a tier (totals fall with time, with no event); returns how many changed."""
    at = now or timezone.now()
    return _each_tenant("review_tiers", lambda tenant: review_held_tiers(tenant=tenant, now=at))
