"""Reads for the staff console: what needs staff today, the money dashboard, a group's health and a member's detail.

Every figure is aggregated in the database (a handful of GROUP BY queries, each a constant cost in queries however
many rows there are); Python only folds the grouped rows into the shapes the templates and charts want.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, TruncDate
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Device, KycStatus, KycSubmission
from billpay.models import BillOrder, OrderStatus
from console.models import LedgerCheckRun
from contributions.models import (
    Contribution,
    ContributionStatus,
    Cycle,
    InstalmentStatus,
    Loan,
    LoanInstalment,
    LoanStatus,
    PaybillPayment,
    PaybillStatus,
    Penalty,
    PenaltyStatus,
    SettledBy,
)
from contributions.selectors import group_health
from core.models import WebhookDelivery
from groups.models import GroupStatus, Membership, SavingsGroup
from payments.models import (
    AccountKind,
    Charge,
    ChargeStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentReview,
    ReconciliationDecision,
    Transfer,
    TransferStatus,
    Withdrawal,
    WithdrawalStatus,
)
from payments.selectors import wallet_balances_of, wallet_entries_of

ZERO = Decimal("0")
DAYS = 30
BILL_PENDING_AFTER = timedelta(hours=1)
RECENT = timedelta(days=1)
# A nightly job: a last run older than this means it stopped running.
LEDGER_CHECK_STALE_AFTER = timedelta(hours=26)
# What the hourly reconciliation decided when it could not settle or fail the payment: a person must look.
UNDECIDED = ("provider_unreachable", "provider_has_no_record", "still_pending", "sent_to_review")
# Paybill payments that named no member: their money sits in suspense until two officials assign it.
PAYBILL_WAITING = (PaybillStatus.SUSPENSE, PaybillStatus.PROPOSED)


# --- "What needs me today" (the admin index) ------------------------------------------------------------------


@dataclass(frozen=True)
class TodoItem:
    label: str
    count: int | None  # None: not a count (the ledger check's answer is in `detail`)
    url: str | None  # the filtered admin list; None when that model has no admin list yet
    detail: str = ""
    alert: bool = False  # drawn in red: something is wrong, not merely waiting


def _changelist(site: AdminSite, model: type[Model], **params: str) -> str | None:
    """The model's admin list filtered by `params`, or None when the model has no admin list in this site."""
    if not site.is_registered(model):
        return None
    opts = model._meta
    try:
        url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


def _may_view(request: HttpRequest, site: AdminSite, model: type[Model]) -> bool:
    """Whether this staff member may see the model: its ModelAdmin decides when it has one, else the permission."""
    model_admin = site.get_model_admin(model) if site.is_registered(model) else None
    if model_admin is not None:
        return model_admin.has_view_permission(request)
    opts = model._meta
    return request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or request.user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def _moment(value: datetime) -> str:
    """A datetime as the admin's URL filters take it: ISO 8601 with its offset, so no zone is guessed."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def todo_items(*, request: HttpRequest, site: AdminSite, now: datetime | None = None) -> list[TodoItem]:
    """What needs finance staff today, each a count and a link to the admin list that shows exactly those rows.

    Only the items this staff member may view are counted: one COUNT query each (the two payment-review items
    share one), and one read of the last ledger check."""
    now = now or timezone.now()
    items: list[TodoItem] = []

    if _may_view(request, site, PaymentReview):
        # No withdrawal status means "held": a withdrawal is held for staff while a review of it is open.
        reviews = PaymentReview.objects.filter(resolved=False).aggregate(
            open=Count("pk"), withdrawals=Count("withdrawal", distinct=True)
        )
        items.append(
            TodoItem("Payment reviews open", reviews["open"], _changelist(site, PaymentReview, resolved__exact="0"))
        )
        items.append(
            TodoItem(
                "Withdrawals held for review",
                reviews["withdrawals"],
                _changelist(site, PaymentReview, resolved__exact="0", withdrawal__isnull="False"),
            )
        )
    if _may_view(request, site, BillOrder):
        cutoff = now - BILL_PENDING_AFTER
        items.append(
            TodoItem(
                "Bill orders pending over an hour",
                BillOrder.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).count(),
                _changelist(site, BillOrder, status__exact=OrderStatus.PENDING, created_at__lt=_moment(cutoff)),
            )
        )
    if _may_view(request, site, KycSubmission):
        items.append(
            TodoItem(
                "KYC submissions waiting",
                KycSubmission.objects.filter(status=KycStatus.PENDING).count(),
                _changelist(site, KycSubmission, status__exact=KycStatus.PENDING),
            )
        )
    if _may_view(request, site, ReconciliationDecision):
        since = now - RECENT
        items.append(
            TodoItem(
                "Reconciliation decisions waiting (last 24 hours)",
                ReconciliationDecision.objects.filter(decision__in=UNDECIDED, created_at__gte=since).count(),
                _changelist(
                    site, ReconciliationDecision, decision__in=",".join(UNDECIDED), created_at__gte=_moment(since)
                ),
            )
        )
    if _may_view(request, site, WebhookDelivery):
        since = now - RECENT
        failed = WebhookDelivery.objects.filter(signature_valid=False, received_at__gte=since).count()
        items.append(
            TodoItem(
                "Webhooks that failed the signature check (last 24 hours)",
                failed,
                _changelist(site, WebhookDelivery, signature_valid__exact="0", received_at__gte=_moment(since)),
                alert=failed > 0,
            )
        )
    if _may_view(request, site, PaybillPayment):
        # Proposed ones are still in suspense: the money moves when a second official confirms.
        waiting = PaybillPayment.objects.filter(status__in=PAYBILL_WAITING).aggregate(
            n=Count("pk"), proposed=Count("pk", filter=Q(status=PaybillStatus.PROPOSED))
        )
        items.append(
            TodoItem(
                "Paybill payments waiting in suspense",
                waiting["n"],
                _changelist(site, PaybillPayment, status__in=",".join(PAYBILL_WAITING)),
                f"{waiting['proposed']} proposed, waiting for a second official" if waiting["proposed"] else "",
            )
        )
    if _may_view(request, site, LedgerCheckRun):
        items.append(_ledger_check_item(site=site, now=now))
    return items


def last_ledger_check() -> LedgerCheckRun | None:
    return LedgerCheckRun.objects.order_by("-finished_at", "-id").first()


def _ledger_check_item(*, site: AdminSite, now: datetime) -> TodoItem:
    run = last_ledger_check()
    url = _changelist(site, LedgerCheckRun)
    if run is None:
        return TodoItem("Ledger check", None, url, "no run recorded yet", alert=True)
    when = timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M")
    stale = now - run.finished_at > LEDGER_CHECK_STALE_AFTER
    if run.discrepancies is None:
        return TodoItem("Ledger check", None, url, f"failed to run at {when}", alert=True)
    detail = f"{run.discrepancies} discrepancies at {when}" if run.discrepancies else f"the books balance ({when})"
    if stale:
        detail += "; no run since: is the nightly job running?"
    return TodoItem("Ledger check", run.discrepancies, url, detail, alert=bool(run.discrepancies) or stale)


# --- The dashboard ------------------------------------------------------------------------------------------------


@dataclass
class Window:
    """Today (since local midnight, in TIME_ZONE) and the 30 days ending today."""

    now: datetime
    today_start: datetime
    month_start: datetime
    days: list[date] = field(default_factory=list)

    @classmethod
    def ending(cls, now: datetime) -> Window:
        local = timezone.localtime(now)
        today_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        today = today_start.date()
        first = today - timedelta(days=DAYS - 1)
        month_start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
        return cls(now, today_start, month_start, [first + timedelta(days=n) for n in range(DAYS)])

    @property
    def today(self) -> date:
        return self.days[-1]


@dataclass
class Totals:
    count: int = 0
    amount: Decimal = ZERO

    def add(self, count: int, amount: Decimal | None) -> None:
        self.count += count
        self.amount += amount or ZERO


@dataclass
class Rate:
    succeeded: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def settled(self) -> int:
        return self.succeeded + self.failed

    @property
    def percent(self) -> float | None:
        """Succeeded out of those the provider answered (pending ones are not counted yet)."""
        return round(100 * self.succeeded / self.settled, 1) if self.settled else None


# How each money flow is read: its model, which status counts as volume, and the outcome of every status.
FLOWS: dict[str, dict[str, Any]] = {
    "deposits": {
        "model": Charge,
        "done": ChargeStatus.SUCCEEDED,
        "provider": "provider",
        "outcomes": {ChargeStatus.SUCCEEDED: "succeeded", ChargeStatus.FAILED: "failed"},
    },
    "withdrawals": {
        "model": Withdrawal,
        "done": WithdrawalStatus.SUCCEEDED,
        "provider": "provider",
        "outcomes": {
            WithdrawalStatus.SUCCEEDED: "succeeded",
            WithdrawalStatus.FAILED: "failed",
            WithdrawalStatus.REVERSED: "failed",
        },
    },
    "transfers": {"model": Transfer, "done": TransferStatus.COMPLETED, "provider": None, "outcomes": {}},
    "bills": {
        "model": BillOrder,
        "done": OrderStatus.DELIVERED,
        "provider": "provider",
        "outcomes": {
            OrderStatus.DELIVERED: "succeeded",
            OrderStatus.FAILED: "failed",
            OrderStatus.REFUNDED: "failed",
            OrderStatus.REVERSED: "failed",
        },
    },
}


def _flow_rows(model: type[Model], provider: str | None, window: Window) -> QuerySet[Any]:
    """One flow's last 30 days grouped by day, currency, status (and provider): one query, bounded rows."""
    keys = ["currency", "status", *([provider] if provider else [])]
    return (
        model._default_manager.filter(created_at__gte=window.month_start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values(*keys, "day")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )


def money_flows(window: Window) -> dict[str, Any]:
    """Deposits, withdrawals, transfers and bills: volume per currency today and over 30 days, a daily series per
    currency for the charts, and each provider's success rate (4 queries)."""
    volume: dict[str, dict[str, dict[str, Totals]]] = {}  # flow -> currency -> today/month
    daily: dict[str, dict[str, dict[date, Decimal]]] = {}  # currency -> flow -> day -> amount
    rates: dict[str, dict[str, Rate]] = {}  # flow -> provider -> rate
    for name, flow in FLOWS.items():
        by_currency: dict[str, dict[str, Totals]] = defaultdict(lambda: {"today": Totals(), "month": Totals()})
        by_provider: dict[str, Rate] = defaultdict(Rate)
        for row in _flow_rows(flow["model"], flow["provider"], window):
            if row["status"] == flow["done"]:
                totals = by_currency[row["currency"]]
                totals["month"].add(row["n"], row["total"])
                if row["day"] == window.today:
                    totals["today"].add(row["n"], row["total"])
                series = daily.setdefault(row["currency"], {}).setdefault(name, {})
                series[row["day"]] = series.get(row["day"], ZERO) + (row["total"] or ZERO)
            if flow["provider"]:
                rate = by_provider[row[flow["provider"]]]
                outcome = flow["outcomes"].get(row["status"], "pending")
                setattr(rate, outcome, getattr(rate, outcome) + row["n"])
        volume[name] = dict(sorted(by_currency.items()))
        if flow["provider"]:
            rates[name] = dict(sorted(by_provider.items()))
    return {"volume": volume, "daily": daily, "rates": rates}


INCOME_KINDS = (AccountKind.FEE_INCOME, AccountKind.PENALTY_INCOME, AccountKind.INTEREST_INCOME)


def income(window: Window) -> dict[str, Any]:
    """Pamoja's own income from the ledger's house accounts (entries sum to what was earned, net of refunds), and
    the penalties and fines members paid, which belong to their groups (2 queries)."""
    ledger: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(dict)  # kind label -> currency -> today/month
    labels = dict(AccountKind.choices)
    rows = (
        LedgerEntry.objects.filter(account__kind__in=INCOME_KINDS, transaction__created_at__gte=window.month_start)
        .values("account__kind", "account__currency")
        .annotate(
            month=Sum("amount"),
            today=Sum("amount", filter=Q(transaction__created_at__gte=window.today_start)),
        )
        .order_by()
    )
    for row in rows:
        ledger[labels[row["account__kind"]]][row["account__currency"]] = {
            "today": row["today"] or ZERO,
            "month": row["month"] or ZERO,
        }
    penalties: dict[str, dict[str, Decimal]] = {}
    penalty_rows = (
        Penalty.objects.filter(status=PenaltyStatus.PAID, paid_at__gte=window.month_start)
        .values(currency=F("membership__group__currency"))
        .annotate(month=Sum("amount"), today=Sum("amount", filter=Q(paid_at__gte=window.today_start)))
        .order_by()
    )
    for row in penalty_rows:
        penalties[row["currency"]] = {"today": row["today"] or ZERO, "month": row["month"] or ZERO}
    return {"ledger": dict(ledger), "penalties": dict(sorted(penalties.items()))}


def group_figures(window: Window) -> dict[str, Any]:
    """Groups by status, and the contributions due in the last 30 days: on time, late, or not yet due (2 queries).

    On time means paid by the end of the group's grace days (the day as seen in TIME_ZONE), not taken from the
    member's payout; late means paid after that, taken from the payout, or still owed past it."""
    statuses = {
        row["status"]: row["n"] for row in SavingsGroup.objects.values("status").annotate(n=Count("pk")).order_by()
    }
    groups = {status.label: statuses.get(status.value, 0) for status in GroupStatus}
    rows = (
        Contribution.objects.filter(due_date__gte=window.days[0], due_date__lte=window.today)
        .annotate(
            paid_day=TruncDate("paid_at", tzinfo=timezone.get_current_timezone()),
            days_late=ExpressionWrapper(F("paid_day") - F("due_date"), output_field=DurationField()),
        )
        .values("status", "settled_by", "days_late", grace=F("cycle__group__grace_days"))
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    )
    contributions = {"on_time": Totals(), "late": Totals(), "owed": Totals(), "not_yet_due": Totals()}
    for row in rows:
        contributions[_contribution_outcome(row, window)].add(row["n"], row["total"])
    return {"groups": groups, "contributions": contributions}


def _contribution_outcome(row: dict[str, Any], window: Window) -> str:
    grace = timedelta(days=row["grace"] or 0)
    if row["status"] == ContributionStatus.PAID:
        if row["settled_by"] == SettledBy.PAYOUT:
            return "late"
        days_late = row["days_late"]
        return "late" if days_late is not None and days_late > grace else "on_time"
    if row["status"] in (ContributionStatus.LATE, ContributionStatus.COVERED):
        return "owed"
    return "not_yet_due"  # pending: inside its grace days (or the nightly job has not marked it late yet)


def loan_figures(window: Window) -> dict[str, dict[str, Totals]]:
    """Disbursed loans per currency: how many and how much principal is outstanding (the balance of each loan's
    receivable account), and of those the loans with an instalment past due (1 query)."""
    overdue = LoanInstalment.objects.filter(
        loan=OuterRef("pk"), status=InstalmentStatus.PENDING, due_date__lt=window.today
    )
    receivable = LedgerAccount.objects.filter(
        kind=AccountKind.LOAN_RECEIVABLE,
        owner_type="loan",
        owner_id=Cast(OuterRef("pk"), output_field=CharField()),
        currency=OuterRef("group__currency"),
    ).values("balance")[:1]
    rows = (
        Loan.objects.filter(status=LoanStatus.DISBURSED)
        .annotate(
            in_arrears=Exists(overdue),
            owed=Subquery(receivable, output_field=DecimalField(max_digits=20, decimal_places=2)),
        )
        .values("group__currency", "in_arrears")
        .annotate(n=Count("pk"), total=Sum("owed"))
        .order_by()
    )
    loans: dict[str, dict[str, Totals]] = defaultdict(lambda: {"outstanding": Totals(), "in_arrears": Totals()})
    for row in rows:
        figures = loans[row["group__currency"]]
        figures["outstanding"].add(row["n"], row["total"])
        if row["in_arrears"]:
            figures["in_arrears"].add(row["n"], row["total"])
    return dict(sorted(loans.items()))


def dashboard_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, and the series its charts draw (JSON-ready, amounts as floats only there)."""
    window = Window.ending(now or timezone.now())
    flows = money_flows(window)
    groups = group_figures(window)
    loans = loan_figures(window)
    return {
        "window": window,
        "volume": flows["volume"],
        "rates": flows["rates"],
        "income": income(window),
        "groups": groups["groups"],
        "contributions": groups["contributions"],
        "loans": loans,
        "charts": _charts(window, flows, groups, loans),
    }


def _charts(window: Window, flows: dict[str, Any], groups: dict[str, Any], loans: dict[str, Any]) -> dict[str, Any]:
    """Chart series: plain numbers for Chart.js (display only; the tables beside them carry the exact amounts)."""
    labels = [day.isoformat() for day in window.days]
    daily = {
        currency: {
            "labels": labels,
            "datasets": [
                {"label": name, "data": [float(series.get(name, {}).get(day, ZERO)) for day in window.days]}
                for name in FLOWS
            ],
        }
        for currency, series in sorted(flows["daily"].items())
    }
    rates: dict[str, list[Any]] = {
        "labels": [],
        "data": [],
    }
    for flow, providers in flows["rates"].items():
        for provider, rate in providers.items():
            if rate.percent is not None:
                rates["labels"].append(f"{flow}: {provider}")
                rates["data"].append(rate.percent)
    contributions = groups["contributions"]
    return {
        "daily": daily,
        "rates": rates,
        "contributions": {
            "labels": ["on time", "late", "owed", "not yet due"],
            "data": [contributions[key].count for key in ("on_time", "late", "owed", "not_yet_due")],
        },
        "loans": {
            "labels": list(loans),
            "outstanding": [float(figures["outstanding"].amount) for figures in loans.values()],
            "in_arrears": [float(figures["in_arrears"].amount) for figures in loans.values()],
        },
    }


# --- Group health and member detail (read-only pages) ------------------------------------------------------------


def _change_url(site: AdminSite, model: type[Model], pk: Any) -> str | None:
    """The admin page of one row, or None when the model has no admin in this site."""
    if not site.is_registered(model):
        return None
    opts = model._meta
    try:
        return reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


def group_health_page(*, group: SavingsGroup, request: HttpRequest, site: AdminSite) -> dict[str, Any]:
    """A savings group's health for staff: `contributions.selectors.group_health` (what the group's officials see),
    with links to the admin pages this staff member may open. Its queries grow with the group's own loans (the loan
    book reads each loan's receivable), not with the rest of the platform."""
    health = group_health(group=group)
    may_users = _may_view(request, site, get_user_model())
    may_loans = _may_view(request, site, Loan)
    for defaulter in health["defaulters"]:
        defaulter["url"] = reverse(f"{site.name}:member_detail", args=[defaulter["user"]]) if may_users else None
    loans = health["loans"]
    loans["in_arrears_links"] = [
        {"pk": pk, "url": _change_url(site, Loan, pk) if may_loans else None} for pk in loans["in_arrears"]
    ]
    links = {
        "group": _change_url(site, SavingsGroup, group.pk),
        "cycles": _changelist(site, Cycle, group__exact=str(group.pk)) if _may_view(request, site, Cycle) else None,
        "loans": _changelist(site, Loan, group__exact=str(group.pk)) if may_loans else None,
        "paybill_waiting": (
            _changelist(site, PaybillPayment, group__id__exact=str(group.pk), status__in=",".join(PAYBILL_WAITING))
            if _may_view(request, site, PaybillPayment)
            else None
        ),
    }
    return {"group": group, "health": health, "links": links}


RECENT_ROWS = 10


def _sign_ins(request: HttpRequest, site: AdminSite, user: Any) -> list[dict[str, Any]] | None:
    """django-axes' records of the user's password sign-ins (keyed by the email typed), newest first: sign-ins,
    failures, and any lock-out counter now running. At most RECENT_ROWS of each (one query each); None when this
    staff member may view none of them."""
    history: list[dict[str, Any]] = []
    shown = False
    if _may_view(request, site, AccessAttempt):
        shown = True
        for attempt in AccessAttempt.objects.filter(username__iexact=user.email).order_by("-attempt_time")[
            :RECENT_ROWS
        ]:
            failures = attempt.failures_since_start
            outcome = f"{failures} failed attempt{'s' if failures != 1 else ''} counting towards a lock-out"
            history.append({"record": attempt, "outcome": outcome, "alert": True})
    if _may_view(request, site, AccessLog):
        shown = True
        for access in AccessLog.objects.filter(username__iexact=user.email).order_by("-attempt_time")[:RECENT_ROWS]:
            history.append({"record": access, "outcome": "signed in", "alert": False})
    if _may_view(request, site, AccessFailureLog):
        shown = True
        for failure in AccessFailureLog.objects.filter(username__iexact=user.email).order_by("-attempt_time")[
            :RECENT_ROWS
        ]:
            outcome = "failed, locked out" if failure.locked_out else "failed"
            history.append({"record": failure, "outcome": outcome, "alert": failure.locked_out})
    history.sort(key=lambda row: row["record"].attempt_time, reverse=True)
    return history if shown else None


def member_detail(*, user: Any, request: HttpRequest, site: AdminSite) -> dict[str, Any]:
    """What staff need to help one member: their groups, wallets, KYC, devices, sign-ins and latest transactions.

    Each part is shown only to staff who may view its model (its ModelAdmin decides, else the permission), and each is
    one query of a bounded number of rows; None marks a part this staff member may not see."""
    may_groups = _may_view(request, site, SavingsGroup)
    memberships = None
    if _may_view(request, site, Membership):
        memberships = [
            {
                "membership": membership,
                "group_url": _change_url(site, SavingsGroup, membership.group_id) if may_groups else None,
                "health_url": (
                    reverse(f"{site.name}:group_health", args=[membership.group_id]) if may_groups else None
                ),
            }
            for membership in Membership.objects.filter(user=user).select_related("group").order_by("-joined_at")
        ]
    wallets = None
    if _may_view(request, site, LedgerAccount):
        wallets = {
            "balances": wallet_balances_of(user_id=user.pk),
            "url": _changelist(site, LedgerAccount, q=str(user.pk)),
        }
    kyc = None
    if _may_view(request, site, KycSubmission):
        kyc = [
            {"submission": submission, "url": _change_url(site, KycSubmission, submission.pk)}
            for submission in KycSubmission.objects.filter(user=user).order_by("-created_at")[:RECENT_ROWS]
        ]
    devices = None
    if _may_view(request, site, Device):
        devices = list(Device.objects.filter(user=user).order_by("-last_seen_at")[:RECENT_ROWS])
    transactions = None
    if _may_view(request, site, LedgerTransaction):
        transactions = [
            {"entry": entry, "url": _change_url(site, LedgerTransaction, entry.transaction_id)}
            for entry in wallet_entries_of(user_id=user.pk)[:RECENT_ROWS]
        ]
    money_lists = {
        label: _changelist(site, model, q=user.email)
        for label, model in (("deposits", Charge), ("withdrawals", Withdrawal), ("transfers", Transfer))
        if _may_view(request, site, model)
    }
    return {
        "member": user,
        "user_url": _change_url(site, get_user_model(), user.pk),
        "memberships": memberships,
        "wallets": wallets,
        "kyc": kyc,
        "devices": devices,
        "sign_ins": _sign_ins(request, site, user),
        "transactions": transactions,
        "money_lists": money_lists,
        "recent_rows": RECENT_ROWS,
    }
