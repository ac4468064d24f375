"""Plans (Free, Standard, Premium): what each lets a group do, from settings.GROUP_PLANS, and which one holds
today. A paid plan holds through the day it is paid to; after that the group has Free's limits, and keeps its data.
Billing moves money, so it lives with the group's money (contributions.services.plans)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings

from core.clock import local_today
from groups.errors import PlanLimitError
from groups.models import Plan, SavingsGroup

FEATURES = ("loans", "statements_export", "recorded_payments")


def limits_of(plan: str) -> dict[str, Any]:
    return settings.GROUP_PLANS[plan]


def price_of(plan: str, currency: str) -> Decimal | None:
    """The monthly price, or None when the plan is not sold in that currency (Free costs nothing)."""
    if plan == Plan.FREE:
        return Decimal("0")
    price = settings.GROUP_PLAN_PRICES.get(plan, {}).get(currency)
    return Decimal(price) if price is not None else None


def effective_plan(group: SavingsGroup, today: date | None = None) -> str:
    """The plan whose month is paid, through its last day; Free otherwise."""
    today = today or local_today(group.tz)
    paid = group.plan_paid_through is not None and group.plan_paid_through >= today
    return group.plan_paid if paid else Plan.FREE


def require_feature(group: SavingsGroup, feature: str) -> None:
    plan = effective_plan(group)
    if not limits_of(plan)[feature]:
        needs = [name for name in Plan.values if limits_of(name)[feature]]
        raise PlanLimitError(
            f"The {Plan(plan).label} plan does not include this.",
            details={"plan": plan, "feature": feature, "plans_with_it": needs},
        )


def member_cap(group: SavingsGroup) -> int:
    """How many member slots the group may have now: its own limit, within its plan's."""
    return min(group.member_limit, int(limits_of(effective_plan(group))["members"]))
