"""A loyalty budget's money, in the payments ledger, and the caps on what may be reserved from it.

Four account kinds (payments/models.py), all in the budget's currency:

- `loyalty_funding`: house, one per tenant and currency (owner `loyalty_tenant`); goes negative by what the
  merchant has put into its budgets.
- `loyalty_budget`: guarded, one per budget (owner `loyalty_budget`): the money still available.
- `loyalty_reserved`: guarded, per budget: the cost of issuances not yet redeemed (states reserved, issued).
- `loyalty_spent`: guarded, per budget: the cost of redeemed issuances.

Postings (each with a deterministic idempotency key, so a retry never moves money twice):

    what                         legs                 kind             idempotency key
    the initial funding          funding → budget     loyalty_topup    loyalty-budget-fund:<budget id>
    a top-up                     funding → budget     loyalty_topup    loyalty-topup:<budget id>:<uuid>
    an issuance's cost reserved  budget → reserved    loyalty_reserve  loyalty-reserve:<issuance id>
    redeemed                     reserved → spent     loyalty_charge   loyalty-charge:<issuance id>
    expired or cancelled         reserved → budget    loyalty_release  loyalty-release:<issuance id>

So budget + reserved + spent = what was put in, always; `budget_discrepancies` proves it, and that reserved and
spent equal the issuances' costs, for `payments.selectors.ledger_discrepancies`.

Caps: `total_amount` is what may be used (reserved or spent) per period — daily, weekly (from Monday) or monthly in
the tenant's time zone, or all time for `none`. What a period has used is the cost of the issuances created in it
and not released (expired, cancelled). A hard cap refuses an issuance over the cap; a soft cap issues while money
is available. Either way the available money never goes below zero (its guarded account refuses), and when what a
period has used first reaches `soft_cap_threshold` (for a soft cap without one: `total_amount`) the tenant's
admins are alerted, once per period.

Lock order, the same in every write of this package: an issuance row, then a reward row, then the budget's ledger
accounts (in id order, by `lock_accounts`), then the budget row, then a customer row.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import BigIntegerField, CharField, F, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from core.money import AmountError, parse_amount
from loyalty.errors import BudgetExhaustedError, LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import (
    Budget,
    BudgetPeriod,
    Issuance,
    IssuanceState,
    StaffRole,
    Tenant,
    TenantStaff,
    WebhookEventType,
)
from loyalty.services.webhooks import publish
from loyalty.tenancy import all_tenants
from notifications.rendering import money_text
from notifications.services import notify
from payments.errors import InsufficientFundsError
from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction, TransactionKind
from payments.services import Leg, get_owned_account, lock_accounts, post_transaction

logger = logging.getLogger("pamoja.loyalty")

BUDGET_OWNER = "loyalty_budget"
TENANT_OWNER = "loyalty_tenant"
BUDGET_KINDS = (AccountKind.LOYALTY_BUDGET, AccountKind.LOYALTY_RESERVED, AccountKind.LOYALTY_SPENT)

# Issuances whose cost sits in the reserved account, and those whose cost was charged to spent.
OPEN_STATES = (IssuanceState.RESERVED, IssuanceState.ISSUED)
RELEASED_STATES = (IssuanceState.EXPIRED, IssuanceState.CANCELLED)


@dataclass(frozen=True)
class BudgetAccounts:
    available: LedgerAccount
    reserved: LedgerAccount
    spent: LedgerAccount


# --- reads -------------------------------------------------------------------------------------------------------


def budgets_of(*, tenant: Tenant) -> QuerySet[Budget]:
    return Budget.objects.filter(tenant=tenant).order_by("-created_at", "-pk")


def budget_of(*, tenant: Tenant, budget_id: int | str) -> Budget:
    """The tenant's budget, or not found (another tenant's budget is not found either)."""
    try:
        pk = int(budget_id)
    except (TypeError, ValueError):
        raise LoyaltyObjectNotFoundError() from None
    budget = Budget.objects.filter(tenant=tenant, pk=pk).first()
    if budget is None:
        raise LoyaltyObjectNotFoundError()
    return budget


def funding_account_of(*, tenant: Tenant, currency: str) -> LedgerAccount:
    """The tenant's funding account (house; its balance is minus what the merchant has put in)."""
    return get_owned_account(
        kind=AccountKind.LOYALTY_FUNDING, owner_type=TENANT_OWNER, owner_id=tenant.pk, currency=currency
    )


def budget_accounts_of(*, budget: Budget) -> BudgetAccounts:
    """The budget's three guarded accounts (made on first use), read fresh: one query when they exist."""
    found = {
        account.kind: account
        for account in LedgerAccount.objects.filter(
            kind__in=BUDGET_KINDS, currency=budget.currency, owner_type=BUDGET_OWNER, owner_id=str(budget.pk), code=""
        )
    }

    def account(kind: AccountKind) -> LedgerAccount:
        return found.get(kind) or get_owned_account(
            kind=kind, owner_type=BUDGET_OWNER, owner_id=budget.pk, currency=budget.currency
        )

    return BudgetAccounts(
        available=account(AccountKind.LOYALTY_BUDGET),
        reserved=account(AccountKind.LOYALTY_RESERVED),
        spent=account(AccountKind.LOYALTY_SPENT),
    )


def period_bounds(*, tenant: Tenant, budget: Budget, at: datetime) -> tuple[datetime, datetime | None]:
    """[start, end) of the budget's period that contains `at`, in the tenant's time zone (weeks start on Monday).
    A budget without a period has one, from its creation, without end."""
    if budget.period == BudgetPeriod.NONE:
        return budget.created_at, None
    zone = ZoneInfo(tenant.time_zone)
    day = at.astimezone(zone).date()
    end: date
    if budget.period == BudgetPeriod.DAILY:
        start, end = day, day + timedelta(days=1)
    elif budget.period == BudgetPeriod.WEEKLY:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:  # monthly
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(end, time.min, tzinfo=zone)


def used_in_period(
    *, budget: Budget, start: datetime, end: datetime | None, exclude_issuance_id: int | None = None
) -> Decimal:
    """The cost of the budget's issuances created in [start, end) and not released (expired or cancelled)."""
    issuances = Issuance.objects.filter(
        tenant_id=budget.tenant_id, reward__budget=budget, created_at__gte=start
    ).exclude(state__in=RELEASED_STATES)
    if end is not None:
        issuances = issuances.filter(created_at__lt=end)
    if exclude_issuance_id is not None:
        issuances = issuances.exclude(pk=exclude_issuance_id)
    total = issuances.aggregate(total=Sum("cost"))["total"]
    return Decimal(total or 0)


def budget_figures(*, tenant: Tenant, budget: Budget) -> dict[str, Decimal]:
    """What the API shows of a budget: its cap, the money reserved, spent (`utilized`) and still available, and
    what the current period has used."""
    budget.refresh_from_db(fields=["total_amount"])
    accounts = budget_accounts_of(budget=budget)
    start, end = period_bounds(tenant=tenant, budget=budget, at=timezone.now())
    return {
        "total_amount": budget.total_amount,
        "reserved": accounts.reserved.balance,
        "utilized": accounts.spent.balance,
        "available": accounts.available.balance,
        "used_this_period": used_in_period(budget=budget, start=start, end=end),
    }


def budget_postings(*, tenant: Tenant) -> QuerySet[LedgerEntry]:
    """The ledger entries on the tenant's budget accounts, newest first, for `GET …/ledger/`. Each entry carries
    `transaction_id`, `kind` (the transaction's), `budget` (its id), `account_kind`, `amount` and `created_at`."""
    budget_ids = Budget.objects.filter(tenant=tenant).annotate(as_text=Cast("pk", CharField())).values("as_text")
    return (
        LedgerEntry.objects.filter(
            account__owner_type=BUDGET_OWNER, account__kind__in=BUDGET_KINDS, account__owner_id__in=budget_ids
        )
        .select_related("transaction", "account")
        .annotate(
            kind=F("transaction__kind"),
            budget=Cast("account__owner_id", BigIntegerField()),
            account_kind=F("account__kind"),
            created_at=F("transaction__created_at"),
        )
        .order_by("-transaction__created_at", "-pk")
    )


def tenant_admins(*, tenant: Tenant) -> list[User]:
    """The tenant's active admins: who is told when a budget or a reward runs low."""
    staff = TenantStaff.objects.filter(tenant=tenant, role=StaffRole.ADMIN, user__is_active=True)
    return [member.user for member in staff.select_related("user").order_by("created_at")]


# --- writes ------------------------------------------------------------------------------------------------------


def alert_admins(*, tenant: Tenant, event: str, context: dict[str, str], key: str) -> None:
    """Tell the tenant's admins, with the change that caused it (a rollback tells nobody); a log line when the
    tenant has no admin."""
    admins = tenant_admins(tenant=tenant)
    if not admins:
        logger.warning("%s: tenant %s has no admin to notify", event, tenant.pk, extra={"data": context})
    for user in admins:
        notify(user=user, event=event, context={"tenant": tenant.display_name or tenant.name, **context}, key=key)


def _amount(value: Any, currency: str, *, field: str, allow_zero: bool, errors: dict[str, list[str]]) -> Decimal:
    try:
        return parse_amount(value, currency, allow_zero=allow_zero)
    except AmountError as exc:
        errors[field] = [str(exc)]
        return Decimal("0")


def _post(
    *,
    kind: TransactionKind,
    budget: Budget,
    legs: list[Leg],
    idempotency_key: str,
    what: str,
    issuance: Issuance | None = None,
) -> LedgerTransaction:
    metadata: dict[str, Any] = {"tenant": str(budget.tenant_id), "budget": budget.pk}
    if issuance is not None:
        metadata["issuance"] = issuance.pk
    return post_transaction(
        kind=kind,
        legs=legs,
        idempotency_key=idempotency_key,
        reference=f"{BUDGET_OWNER}:{budget.pk}",
        memo=f"{budget.name}: {what}",
        metadata=metadata,
    )


def _fund(*, tenant: Tenant, budget: Budget, amount: Decimal, idempotency_key: str) -> LedgerTransaction:
    funding = funding_account_of(tenant=tenant, currency=budget.currency)
    available = budget_accounts_of(budget=budget).available
    return _post(
        kind=TransactionKind.LOYALTY_TOPUP,
        budget=budget,
        legs=[Leg(funding, -amount), Leg(available, amount)],
        idempotency_key=idempotency_key,
        what="top-up",
    )


def create_budget(
    *,
    tenant: Tenant,
    name: str,
    total_amount: Decimal | str,
    currency: str,
    period: str,
    hard_cap: bool,
    soft_cap_threshold: Decimal | str | None = None,
) -> Budget:
    """A budget, funded with `total_amount` from the tenant's funding account (key `loyalty-budget-fund:<id>`)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["Give the budget a name of at most 120 characters."]
    if currency != tenant.currency:
        errors["currency"] = [f"A budget is in the tenant's currency, {tenant.currency}."]
    if period not in BudgetPeriod.values:
        errors["period"] = [f"Use one of {', '.join(BudgetPeriod.values)}."]
    if not isinstance(hard_cap, bool):
        errors["hard_cap"] = ["Must be true or false."]
    total = _amount(total_amount, tenant.currency, field="total_amount", allow_zero=True, errors=errors)
    threshold = None
    if soft_cap_threshold is not None:
        threshold = _amount(
            soft_cap_threshold, tenant.currency, field="soft_cap_threshold", allow_zero=True, errors=errors
        )
    if errors:
        raise LoyaltyInputError(details=errors)

    with transaction.atomic():
        budget = Budget.objects.create(
            tenant=tenant,
            name=name,
            currency=tenant.currency,
            total_amount=total,
            period=period,
            hard_cap=hard_cap,
            soft_cap_threshold=threshold,
        )
        budget_accounts_of(budget=budget)  # all three exist from the start
        if total > 0:
            _fund(tenant=tenant, budget=budget, amount=total, idempotency_key=f"loyalty-budget-fund:{budget.pk}")
    return budget


def top_up_budget(*, tenant: Tenant, budget_id: int | str, amount: Decimal | str) -> Budget:
    """Move `amount` from the tenant's funding account into the budget. A budget without a period has one total,
    which grows by as much; a daily, weekly or monthly budget keeps its cap per period (the money only lets it be
    reached for longer)."""
    budget = budget_of(tenant=tenant, budget_id=budget_id)
    errors: dict[str, list[str]] = {}
    value = _amount(amount, budget.currency, field="amount", allow_zero=False, errors=errors)
    if errors:
        raise LoyaltyInputError(details=errors)
    with transaction.atomic():
        accounts = budget_accounts_of(budget=budget)
        lock_accounts([accounts.available])
        if budget.period == BudgetPeriod.NONE:
            Budget.objects.filter(pk=budget.pk).update(total_amount=F("total_amount") + value)
        _fund(
            tenant=tenant, budget=budget, amount=value, idempotency_key=f"loyalty-topup:{budget.pk}:{uuid.uuid4().hex}"
        )
    budget.refresh_from_db()
    return budget


def reserve_cost(
    *, tenant: Tenant, budget: Budget, issuance: Issuance, spend_now: bool = False
) -> LedgerTransaction | None:
    """Reserve the new issuance's cost (budget → reserved, key `loyalty-reserve:<issuance id>`) after checking the
    cap of its period and the money available, under the lock of the budget's accounts; alert once per period
    when the threshold is reached. Raises `BudgetExhaustedError` with nothing posted. Call inside the issuing
    transaction, the issuance already saved (its id names the posting); None when the cost is zero. `spend_now`:
    the reward is used as it is given (points), so its cost goes straight to spent, under the same checks."""
    accounts = budget_accounts_of(budget=budget)
    locked = lock_accounts([accounts.available, accounts.reserved, *([accounts.spent] if spend_now else [])])
    budget = Budget.objects.get(pk=budget.pk)  # fresh under the lock: its cap and last alert
    cost = issuance.cost
    available = locked[accounts.available.pk].balance
    start, end = period_bounds(tenant=tenant, budget=budget, at=issuance.created_at)
    used = used_in_period(budget=budget, start=start, end=end, exclude_issuance_id=issuance.pk)
    details = {
        "budget": budget.pk,
        "cost": str(cost),
        "available": str(available),
        "total_amount": str(budget.total_amount),
        "used_this_period": str(used),
    }
    if budget.hard_cap and used + cost > budget.total_amount:
        raise BudgetExhaustedError("This reward would take the budget over its cap for this period.", details=details)
    if cost > available:
        raise BudgetExhaustedError("The budget has not enough money left for this reward.", details=details)
    posted = None
    if cost > 0:
        try:
            if spend_now:  # given and used at once (points): one posting, available → spent
                posted = _post(
                    kind=TransactionKind.LOYALTY_CHARGE,
                    budget=budget,
                    legs=[Leg(accounts.available, -cost), Leg(accounts.spent, cost)],
                    idempotency_key=f"loyalty-charge:{issuance.pk}",
                    what=f"issuance {issuance.pk} given and redeemed at once",
                    issuance=issuance,
                )
            else:
                posted = _post(
                    kind=TransactionKind.LOYALTY_RESERVE,
                    budget=budget,
                    legs=[Leg(accounts.available, -cost), Leg(accounts.reserved, cost)],
                    idempotency_key=f"loyalty-reserve:{issuance.pk}",
                    what=f"reserved for issuance {issuance.pk}",
                    issuance=issuance,
                )
        except InsufficientFundsError as exc:
            raise BudgetExhaustedError(details=details) from exc
    _alert_on_threshold(tenant=tenant, budget=budget, start=start, used=used + cost)
    return posted


def _alert_on_threshold(*, tenant: Tenant, budget: Budget, start: datetime, used: Decimal) -> None:
    threshold = budget.soft_cap_threshold
    if threshold is None and not budget.hard_cap:
        threshold = budget.total_amount
    if threshold is None or used < threshold or budget.alerted_period == start:
        return
    # the accounts' lock serialises this budget's issuances, so only one of them sees the threshold first
    Budget.objects.filter(pk=budget.pk).update(alerted_period=start)
    budget.alerted_period = start
    alert_admins(
        tenant=tenant,
        event="loyalty_budget_low",
        context={
            "budget": budget.name,
            "used": money_text(used, budget.currency),
            "threshold": money_text(threshold, budget.currency),
            "cap": money_text(budget.total_amount, budget.currency),
        },
        key=f"budget:{budget.pk}:{start.isoformat()}",
    )
    publish(
        tenant=tenant,
        event_type=WebhookEventType.BUDGET_THRESHOLD,
        payload={
            "budget_id": budget.pk,
            "budget_name": budget.name,
            "currency": budget.currency,
            "used": str(used),
            "threshold": str(threshold),
            "total_amount": str(budget.total_amount),
            "hard_cap": budget.hard_cap,
            "period_start": start.isoformat(),
        },
    )


def charge_cost(*, budget: Budget, issuance: Issuance) -> LedgerTransaction | None:
    """A redemption: the issuance's reserved cost is spent (reserved → spent, key `loyalty-charge:<id>`)."""
    if issuance.cost == 0:
        return None
    accounts = budget_accounts_of(budget=budget)
    return _post(
        kind=TransactionKind.LOYALTY_CHARGE,
        budget=budget,
        legs=[Leg(accounts.reserved, -issuance.cost), Leg(accounts.spent, issuance.cost)],
        idempotency_key=f"loyalty-charge:{issuance.pk}",
        what=f"issuance {issuance.pk} redeemed",
        issuance=issuance,
    )


def release_cost(*, budget: Budget, issuance: Issuance) -> LedgerTransaction | None:
    """An expiry or cancellation: the reserved cost goes back to the budget (key `loyalty-release:<id>`)."""
    if issuance.cost == 0:
        return None
    accounts = budget_accounts_of(budget=budget)
    return _post(
        kind=TransactionKind.LOYALTY_RELEASE,
        budget=budget,
        legs=[Leg(accounts.reserved, -issuance.cost), Leg(accounts.available, issuance.cost)],
        idempotency_key=f"loyalty-release:{issuance.pk}",
        what=f"issuance {issuance.pk} released",
        issuance=issuance,
    )


# --- the books ---------------------------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def budget_discrepancies() -> list[str]:
    """For every budget of every tenant: reserved = the cost of its issuances reserved or issued; spent = the cost
    of its redeemed ones; available + reserved + spent = its top-ups (the initial funding included); its accounts
    are in its currency. For every tenant: its funding accounts = minus its budgets' top-ups. Accounts of a
    budget that does not exist are reported too. Registered as a ledger check (payments/ledger_checks.py)."""
    problems: list[str] = []
    with all_tenants():
        budgets = {
            str(pk): (str(tenant_id), currency)
            for pk, tenant_id, currency in Budget.objects.values_list("pk", "tenant_id", "currency")
        }
        balances: dict[tuple[str, str], Decimal] = {}
        for owner_id, kind, currency, balance in LedgerAccount.objects.filter(
            owner_type=BUDGET_OWNER, kind__in=BUDGET_KINDS
        ).values_list("owner_id", "kind", "currency", "balance"):
            if owner_id not in budgets:
                if balance:
                    problems.append(
                        f"{kind} account of loyalty budget {owner_id}, which does not exist, holds {balance}"
                    )
                continue
            if currency != budgets[owner_id][1]:
                problems.append(f"loyalty budget {owner_id} has a {kind} account in {currency}, not its currency")
                continue
            balances[(owner_id, kind)] = _money(balance)
        topups = {
            row["account__owner_id"]: _money(row["total"])
            for row in LedgerEntry.objects.filter(
                account__owner_type=BUDGET_OWNER,
                account__kind=AccountKind.LOYALTY_BUDGET,
                transaction__kind=TransactionKind.LOYALTY_TOPUP,
            )
            .values("account__owner_id")
            .annotate(total=Sum("amount"))
        }
        costs: dict[tuple[str, str], Decimal] = {}
        for row in Issuance.objects.values("reward__budget_id", "state").annotate(total=Sum("cost")).order_by():
            key = (
                "reserved" if row["state"] in OPEN_STATES else "spent" if row["state"] == IssuanceState.REDEEMED else ""
            )
            if key:
                budget_key = (str(row["reward__budget_id"]), key)
                costs[budget_key] = costs.get(budget_key, Decimal("0")) + _money(row["total"])
        funded = {
            (row["account__owner_id"], row["account__currency"]): _money(row["total"])
            for row in LedgerEntry.objects.filter(
                account__owner_type=TENANT_OWNER, account__kind=AccountKind.LOYALTY_FUNDING
            )
            .values("account__owner_id", "account__currency")
            .annotate(total=Sum("amount"))
        }

    zero = Decimal("0.00")
    put_in: dict[tuple[str, str], Decimal] = {}
    for pk, (tenant_id, currency) in sorted(budgets.items(), key=lambda item: int(item[0])):
        available = balances.get((pk, AccountKind.LOYALTY_BUDGET), zero)
        reserved = balances.get((pk, AccountKind.LOYALTY_RESERVED), zero)
        spent = balances.get((pk, AccountKind.LOYALTY_SPENT), zero)
        topped_up = topups.get(pk, zero)
        put_in[(tenant_id, currency)] = put_in.get((tenant_id, currency), zero) + topped_up
        if reserved != costs.get((pk, "reserved"), zero):
            problems.append(
                f"loyalty budget {pk}: reserved holds {reserved} {currency}, but its reserved and issued issuances "
                f"cost {costs.get((pk, 'reserved'), zero)}"
            )
        if spent != costs.get((pk, "spent"), zero):
            problems.append(
                f"loyalty budget {pk}: spent holds {spent} {currency}, but its redeemed issuances cost "
                f"{costs.get((pk, 'spent'), zero)}"
            )
        if available + reserved + spent != topped_up:
            problems.append(
                f"loyalty budget {pk}: available {available} + reserved {reserved} + spent {spent} {currency} "
                f"is not what was put in, {topped_up}"
            )
    for tenant_key in sorted(set(funded) | set(put_in)):
        if funded.get(tenant_key, zero) != -put_in.get(tenant_key, zero):
            problems.append(
                f"loyalty funding of tenant {tenant_key[0]} ({tenant_key[1]}) is {funded.get(tenant_key, zero)}, "
                f"but its budgets were topped up with {put_in.get(tenant_key, zero)}"
            )
    return problems
