"""Reads for officials and members: a group's health, the member dashboard, and the weekly summary officials get."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from contributions.models import (
    OWED_STATUSES,
    Contribution,
    ContributionStatus,
    Cycle,
    CycleStatus,
    GuaranteeStatus,
    LoanGuarantee,
    LoanStatus,
    Penalty,
    PenaltyStatus,
    RecordedPayment,
    RecordedPaymentStatus,
    Resolution,
    ResolutionStatus,
    SettledBy,
    SwapRequest,
    SwapStatus,
)
from contributions.selectors.balances import welfare_balance_of
from contributions.selectors.share_outs import current_period_end, unreturned_contributions, unreturned_top_ups
from contributions.services.loans import loan_book, outstanding_principal
from core.clock import local_today
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup

ZERO = Decimal("0")


def _money(amount) -> str:
    return str((amount or ZERO).quantize(Decimal("0.01")))


def _end_of_grace(group: SavingsGroup, due: date) -> datetime:
    return timezone.make_aware(datetime.combine(due + timedelta(days=group.grace_days + 1), time.min), group.tz)


def group_health(*, group: SavingsGroup) -> dict:
    """On-time rate, collected against expected per cycle, arrears, defaulters and the loan book."""
    today = local_today(group.tz)
    grace_over = today - timedelta(days=group.grace_days + 1)
    contributions = list(Contribution.objects.filter(cycle__group=group).select_related("membership__user"))
    due = [c for c in contributions if c.due_date <= grace_over or c.status == ContributionStatus.PAID]
    on_time = [
        c
        for c in due
        if c.status == ContributionStatus.PAID
        and c.settled_by != SettledBy.PAYOUT
        and c.paid_at is not None
        and c.paid_at < _end_of_grace(group, c.due_date)
    ]
    cycles = []
    for cycle in Cycle.objects.filter(group=group).order_by("number"):
        mine = [c for c in contributions if c.cycle_id == cycle.pk]
        cycles.append(
            {
                "cycle": cycle.number,
                "due_date": cycle.due_date.isoformat(),
                "status": cycle.status,
                "expected": _money(sum((c.amount for c in mine), ZERO)),
                "collected": _money(
                    sum(
                        (c.amount for c in mine if c.status in (ContributionStatus.PAID, ContributionStatus.COVERED)),
                        ZERO,
                    )
                ),
            }
        )
    overdue = [c for c in contributions if c.status in OWED_STATUSES and c.due_date <= grace_over]
    penalties = Penalty.objects.filter(membership__group=group, status=PenaltyStatus.OWED).select_related(
        "membership__user"
    )
    owed_by: dict[int, Decimal] = {}
    names: dict[int, Membership] = {}
    owed_items: list[Contribution | Penalty] = [*overdue, *penalties]
    for item in owed_items:
        owed_by[item.membership_id] = owed_by.get(item.membership_id, ZERO) + item.amount
        names[item.membership_id] = item.membership
    return {
        "currency": group.currency,
        "on_time_rate": round(len(on_time) / len(due), 4) if due else None,
        "contributions_due": len(due),
        "contributions_on_time": len(on_time),
        "expected_to_date": _money(sum((c.amount for c in contributions if c.due_date <= today), ZERO)),
        "collected": _money(
            sum(
                (c.amount for c in contributions if c.status in (ContributionStatus.PAID, ContributionStatus.COVERED)),
                ZERO,
            )
        ),
        "arrears": _money(sum(owed_by.values(), ZERO)),
        "defaulters": [
            {
                "membership": pk,
                "user": str(names[pk].user_id),
                "name": names[pk].user.get_full_name() or names[pk].user.email,
                "owed": _money(amount),
            }
            for pk, amount in sorted(owed_by.items(), key=lambda item: -item[1])
        ],
        "cycles": cycles,
        "loans": loan_book(group=group),
        "welfare_balance": _money(welfare_balance_of(group=group)),
        "resolutions_open": Resolution.objects.filter(group=group, status=ResolutionStatus.OPEN).count(),
        "savings": _savings_figures(group),
    }


def _savings_figures(group: SavingsGroup) -> dict | None:
    """A savings group's saved total (not yet shared out) and its next share-out day; None for a rotating group."""
    if not group.is_savings:
        return None
    saved = sum(
        (
            unreturned_contributions(group).aggregate(total=Sum("amount"))["total"] or ZERO,
            unreturned_top_ups(group).aggregate(total=Sum("amount"))["total"] or ZERO,
        ),
        ZERO,
    )
    return {
        "saved": _money(saved),
        "next_share_out": current_period_end(group).isoformat(),
        "share_outs": group.share_outs.count(),
    }


def headline_figures(*, group: SavingsGroup) -> dict:
    health = group_health(group=group)
    keys = ("on_time_rate", "expected_to_date", "collected", "arrears", "welfare_balance", "resolutions_open")
    return {key: health[key] for key in keys} | {
        "defaulters": len(health["defaulters"]),
        "loans_outstanding": health["loans"]["outstanding"],
    }


def dashboard_of(*, user) -> dict:
    """What the member home screen shows: savings, the next payout, upcoming dues, loans, and what needs action."""
    memberships = list(
        Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE)
        .exclude(group__status=GroupStatus.CANCELLED)
        .select_related("group")
    )
    saved: dict[str, Decimal] = {}
    for row in (
        Contribution.objects.filter(membership__in=memberships, status=ContributionStatus.PAID)
        .values("cycle__group__currency")
        .annotate(total=Sum("amount"))
    ):
        saved[row["cycle__group__currency"]] = row["total"]
    next_cycle = (
        Cycle.objects.filter(recipient__in=memberships, status=CycleStatus.OPEN, group__status=GroupStatus.ACTIVE)
        .select_related("group")
        .order_by("due_date")
        .first()
    )
    next_payout = None
    if next_cycle is not None:
        gross = next_cycle.contributions.aggregate(total=Sum("amount"))["total"] or ZERO
        fee = (gross * next_cycle.group.service_fee_percent / 100).quantize(Decimal("0.01"))
        next_payout = {
            "group": str(next_cycle.group_id),
            "group_name": next_cycle.group.name,
            "cycle": next_cycle.number,
            "date": next_cycle.due_date.isoformat(),
            "amount": _money(gross - fee),
            "currency": next_cycle.group.currency,
        }
    upcoming = list(
        Contribution.objects.filter(membership__in=memberships, status__in=OWED_STATUSES)
        .select_related("cycle__group")
        .order_by("due_date", "pk")[:10]
    )
    loans = [
        {
            "loan": loan.pk,
            "group": str(loan.group_id),
            "outstanding": _money(outstanding_principal(loan)),
            "currency": loan.group.currency,
        }
        for membership in memberships
        for loan in membership.loans.filter(status=LoanStatus.DISBURSED).select_related("group")
    ]
    return {
        "total_saved": [{"currency": c, "amount": _money(a)} for c, a in sorted(saved.items())],
        "next_payout": next_payout,
        "upcoming_dues": [
            {
                "contribution": c.pk,
                "group": str(c.cycle.group_id),
                "group_name": c.cycle.group.name,
                "cycle": c.cycle.number,
                "due_date": c.due_date.isoformat(),
                "amount": _money(c.amount),
                "currency": c.cycle.group.currency,
                "status": c.status,
            }
            for c in upcoming
        ],
        "loans_outstanding": loans,
        "needs_action": _needs_action(user=user, memberships=memberships),
    }


def _needs_action(*, user, memberships: list[Membership]) -> list[dict]:
    actions = []
    soon = {m.group_id: local_today(m.group.tz) + timedelta(days=3) for m in memberships}
    for c in Contribution.objects.filter(
        membership__in=memberships,
        status__in=[ContributionStatus.PENDING, ContributionStatus.LATE],
        cycle__group__status=GroupStatus.ACTIVE,
    ).select_related("cycle__group"):
        if c.status == ContributionStatus.LATE or c.due_date <= soon[c.cycle.group_id]:
            actions.append({"kind": "contribution_due", "group": str(c.cycle.group_id), "id": c.pk})
    for m in memberships:
        if (
            m.group.status == GroupStatus.FORMING
            and m.dues_paid_at is None
            and (m.group.security_deposit or m.group.registration_fee)
        ):
            actions.append({"kind": "dues_to_pay", "group": str(m.group_id), "id": m.pk})
    for swap in SwapRequest.objects.filter(counterparty__in=memberships, status=SwapStatus.PENDING):
        actions.append({"kind": "swap_to_answer", "group": str(swap.group_id), "id": swap.pk})
    for guarantee in LoanGuarantee.objects.filter(
        guarantor__in=memberships, status=GuaranteeStatus.REQUESTED
    ).select_related("loan"):
        actions.append({"kind": "guarantee_to_answer", "group": str(guarantee.loan.group_id), "id": guarantee.pk})
    official_groups = [m for m in memberships if m.is_official]
    for payment in RecordedPayment.objects.filter(
        group__in=[m.group_id for m in official_groups], status=RecordedPaymentStatus.PENDING
    ).exclude(recorded_by__user=user):
        actions.append({"kind": "payment_to_confirm", "group": str(payment.group_id), "id": payment.pk})
    if user.kyc_tier == 0:
        actions.append({"kind": "verify_identity", "group": None, "id": None})
    return actions


def weekly_summary(*, group: SavingsGroup) -> str:
    figures = headline_figures(group=group)
    rate = "n/a" if figures["on_time_rate"] is None else f"{figures['on_time_rate'] * 100:.0f}%"
    return (
        f"On time: {rate}. Collected {group.currency} {figures['collected']} of {figures['expected_to_date']} due. "
        f"Arrears {figures['arrears']} ({figures['defaulters']} members). "
        f"Loans outstanding {figures['loans_outstanding']}."
    )
