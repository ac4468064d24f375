"""Billing a group's plan: a month at a time, from the chair's wallet or the pot (beyond what open cycles are owed),
into Pamoja's fee income. Changing to a paid plan bills the current month at once (or changes nothing); the monthly
job bills each paid plan whose month has run out, once per month (`PlanCharge`'s unique month), and a plan it
cannot bill lapses to Free's limits, its chair told."""

import calendar
from datetime import date

from django.db import IntegrityError, transaction

from contributions.errors import PlanNotSoldError
from contributions.models import PlanCharge
from contributions.services.ledger import post_for_group, pot_of
from contributions.services.loans import lendable_balance
from core.clock import local_today
from core.errors import InsufficientFundsError
from groups.errors import GroupStateError
from groups.models import GroupStatus, Membership, MembershipStatus, Plan, PlanBilling, Role, SavingsGroup
from groups.notices import group_context
from groups.plans import price_of
from groups.services import require_chair
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, TransactionKind
from payments.services import Leg, get_house_account, get_wallet


def _chair(group: SavingsGroup) -> Membership | None:
    return group.memberships.select_related("user").filter(role=Role.CHAIR, status=MembershipStatus.ACTIVE).first()


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def bill_month(*, group: SavingsGroup, today: date) -> PlanCharge | None:
    """Bill the group's plan for `today`'s month, once; None when this month is paid already. Inside the caller's
    transaction, with the group row locked. `InsufficientFundsError` (422) when the source holds too little."""
    price = price_of(group.plan, group.currency)
    if price is None:
        raise PlanNotSoldError(details={"plan": group.plan, "currency": group.currency})
    period = today.strftime("%Y-%m")
    if PlanCharge.objects.filter(group=group, period=period).exists():
        return None
    if group.plan_billing == PlanBilling.POT:
        source = pot_of(group)
        free = lendable_balance(group)
        if price > free:
            raise InsufficientFundsError(
                "The pot holds no more than the open cycles' payouts.",
                details={"available": str(free), "currency": group.currency},
            )
    else:
        chair = _chair(group)
        if chair is None:
            raise InsufficientFundsError("The group has no chair to bill.")
        source = get_wallet(user_id=chair.user_id, currency=group.currency)
    posted = post_for_group(
        group=group,
        kind=TransactionKind.FEE,
        legs=[Leg(source, -price), Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=group.currency), price)],
        idempotency_key=f"plan:{group.pk}:{period}",
        what=f"{Plan(group.plan).label} plan, {period}",
        plan=group.plan,
        period=period,
    )
    try:
        with transaction.atomic():
            charge = PlanCharge.objects.create(
                group=group, period=period, plan=group.plan, amount=price, ledger_transaction=posted
            )
    except IntegrityError:
        return None
    group.plan_paid, group.plan_paid_through = group.plan, _month_end(today)
    group.save(update_fields=["plan_paid", "plan_paid_through", "updated_at"])
    return charge


def change_plan(*, actor: Membership, plan: str, billing: str) -> SavingsGroup:
    """The chair chooses the plan and where it is billed from. With no month paid, a paid plan is billed for this
    month at once (or nothing changes: `insufficient_funds`); with this month paid, the choice holds from the next
    month's bill (what was paid for keeps its limits to the month's end, a move to Free included)."""
    require_chair(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        if group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
            raise GroupStateError("A finished group has no plan.")
        if plan != Plan.FREE and price_of(plan, group.currency) is None:
            raise PlanNotSoldError(details={"plan": plan, "currency": group.currency})
        group.plan, group.plan_billing = plan, billing
        group.save(update_fields=["plan", "plan_billing", "updated_at"])
        today = local_today(group.tz)
        month_paid = group.plan_paid_through is not None and group.plan_paid_through >= today
        if plan != Plan.FREE and not month_paid:
            bill_month(group=group, today=today)
    return group


def bill_plans() -> int:
    """The monthly job (run daily, so a lapsed payment is retried): bill every paid plan whose paid month has run
    out. Returns how many months were billed. Safe to run twice."""
    billed = 0
    due = SavingsGroup.objects.exclude(plan=Plan.FREE).exclude(
        status__in=[GroupStatus.COMPLETED, GroupStatus.CANCELLED]
    )
    for group_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group_id)
            today = local_today(group.tz)
            if group.plan_paid_through and group.plan_paid_through >= today:
                continue
            try:
                with transaction.atomic():
                    if bill_month(group=group, today=today):
                        billed += 1
            except (InsufficientFundsError, PlanNotSoldError):
                chair = _chair(group)
                if chair is not None:
                    notify(
                        user=chair.user,
                        event="plan_lapsed",
                        context={
                            **group_context(group),
                            "plan": Plan(group.plan).label,
                            "amount": money_text(price_of(group.plan, group.currency) or 0, group.currency),
                        },
                        key=f"plan-lapsed:{group.pk}:{today.strftime('%Y-%m')}",
                    )
    return billed
