"""Events in, rewards out, in one request: store the event, evaluate the tenant's live rules by priority against
precomputed features, issue what they grant, and answer with the issuances, all in the request's transaction.

- The same `idempotency_key` again answers the first result and creates nothing (the unique key per tenant is the
  arbiter, so ten concurrent sends make one event); the same key with another event is refused.
- The customer's row is locked while their rules run, so caps and cooldowns hold under concurrent events; a rule
  with a global cap locks its own row too.
- Custom operators' inputs (visits and spend in a window, first event of a type, the local day and hour) come from
  one indexed query over the customer's events (two when a rule also asks about first events), never from SQL
  inside an operator.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from loyalty.errors import (
    BudgetExhaustedError,
    CustomerExistsError,
    LoyaltyInputError,
    LoyaltyObjectNotFoundError,
    RewardUnavailableError,
)
from loyalty.models import Channel, Customer, CustomerStatus, Event, Issuance, Reward, Rule, Tenant
from loyalty.rules import FEATURES_KEY, FeatureRequest, Features, RuleError, local_clock, required_features
from loyalty.selectors import customer_by_phone
from loyalty.services import referrals, tiers
from loyalty.services.customers import create_customer, e164
from loyalty.services.issuances import issue_reward
from loyalty.services.rules import compiled, live_rules
from payments.errors import IdempotencyKeyReusedError

logger = logging.getLogger("pamoja.loyalty")
MAX_CLOCK_SKEW = timedelta(minutes=5)  # an event may not claim to happen later than this ahead of us


@dataclass(frozen=True)
class Ingested:
    event: Event
    created: bool  # False: a replay of the first answer


def _customer(*, tenant: Tenant, customer: int | str) -> Customer:
    """By id, or by phone (E.164); an unknown phone is enrolled (channel `api`) when the tenant allows it."""
    if isinstance(customer, int) or (isinstance(customer, str) and customer.isascii() and customer.isdigit()):
        found = Customer.objects.filter(tenant=tenant, pk=int(customer)).first()
        if found is None:
            raise LoyaltyObjectNotFoundError("No such customer.", details={"customer": customer})
        return found
    phone = e164(str(customer))
    found = customer_by_phone(tenant=tenant, phone=phone)
    if found is not None:
        return found
    if not tenant.auto_enrol:
        raise LoyaltyObjectNotFoundError("No customer has this phone, and this tenant does not enrol on events.")
    try:
        with transaction.atomic():
            return create_customer(tenant=tenant, phone=phone, channel=Channel.API)
    except CustomerExistsError:  # a concurrent event enrolled them first
        found = customer_by_phone(tenant=tenant, phone=phone)
        if found is None:
            raise
        return found


def _answer(event: Event, issuances: list[Issuance], skipped: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": event.pk,
        "customer": event.customer_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "issuances": [
            {"id": i.pk, "reward": i.reward_id, "rule": i.rule_id, "state": i.state, "code": i.code or None}
            for i in issuances
        ],
        "skipped": skipped,
    }


def ingest_event(
    *,
    tenant: Tenant,
    actor: str,
    customer: int | str,
    event_type: str,
    event_data: dict[str, Any],
    idempotency_key: str,
    occurred_at: datetime | None = None,
) -> Ingested:
    """Call inside the tenant's transaction (the request's). Errors: LoyaltyObjectNotFoundError (404) for an
    unknown customer the tenant does not enrol; LoyaltyInputError (400) for a bad phone or a time in the future;
    IdempotencyKeyReusedError (422) for the key of another event."""
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise LoyaltyInputError(details={"occurred_at": ["An event cannot happen in the future."]})
    first = Event.objects.filter(tenant=tenant, idempotency_key=idempotency_key).first()
    if first is not None:
        return _replay(first, customer=customer, event_type=event_type, event_data=event_data)
    who = _customer(tenant=tenant, customer=customer)
    try:
        with transaction.atomic():
            event = Event.objects.create(
                tenant=tenant,
                customer=who,
                event_type=event_type,
                data=event_data,
                idempotency_key=idempotency_key,
                occurred_at=occurred_at,
            )
    except IntegrityError:  # the same key, sent concurrently: the first one has committed by now
        first = Event.objects.filter(tenant=tenant, idempotency_key=idempotency_key).first()
        if first is None:
            raise
        return _replay(first, customer=customer, event_type=event_type, event_data=event_data)

    # the rules see the tier the customer had when the event arrived; the event's points then count for the next
    referral = referrals.pending_referral(tenant=tenant, event=event)
    also_lock = {tenant.referral_reward_id} if referral is not None and tenant.referral_reward_id else set()
    issuances, skipped = _evaluate(tenant=tenant, event=event, actor=actor, also_lock=also_lock)
    if referral is not None:
        issuances += referrals.reward_referral(tenant=tenant, referral=referral, event=event)[:1]  # the referee's
    tiers.review_tier(tenant=tenant, customer=who, at=timezone.now())
    event.answer = _answer(event, issuances, skipped)
    event.save(update_fields=["answer"])
    return Ingested(event=event, created=True)


def _replay(first: Event, *, customer: int | str, event_type: str, event_data: dict[str, Any]) -> Ingested:
    same_customer = str(customer) in (str(first.customer_id), first.customer.phone) or _same_phone(customer, first)
    if not same_customer or first.event_type != event_type or first.data != event_data:
        raise IdempotencyKeyReusedError(details={"idempotency_key": first.idempotency_key})
    return Ingested(event=first, created=False)


def _same_phone(customer: int | str, first: Event) -> bool:
    try:
        return isinstance(customer, str) and e164(customer) == first.customer.phone
    except LoyaltyInputError:
        return False


def _evaluate(
    *, tenant: Tenant, event: Event, actor: str, also_lock: set[int] | None = None
) -> tuple[list[Issuance], list[dict[str, Any]]]:
    """`also_lock`: rewards given after the rules (a referral's), locked in the same id order as the rules'."""
    customer = Customer.objects.select_for_update().get(tenant=tenant, pk=event.customer_id)
    if customer.status != CustomerStatus.ACTIVE:
        return [], [{"rule": None, "reason": f"customer_{customer.status}"}]
    rules = live_rules(tenant=tenant, at=event.occurred_at)
    if not rules:
        return [], []
    compiled_rules = []
    broken: list[dict[str, Any]] = []
    for rule in rules:
        try:
            compiled_rules.append((rule, compiled(rule)))
        except RuleError:  # saved before a check it now fails: skipped, said so, never a failed event
            logger.exception("loyalty rule %s no longer compiles; skipped", rule.pk)
            broken.append({"rule": rule.pk, "reason": "rule_invalid"})
    wanted = required_features(c for _, c in compiled_rules)
    data = {
        "event": {"type": event.event_type, "data": event.data, "occurred_at": event.occurred_at.isoformat()},
        "customer": {
            "status": customer.status,
            "attributes": customer.attributes,
            "points": customer.points,
            **tiers.tier_facts(tenant=tenant, customer=customer),
        },
        FEATURES_KEY: features_for(tenant=tenant, event=event, wanted=wanted),
    }
    issued: list[Issuance] = []
    skipped: list[dict[str, Any]] = broken
    matching = [rule for rule, condition in compiled_rules if condition.is_true(data)]
    # Every reward this event may give is locked now, in id order, before any budget's accounts: issuing two rewards
    # in one transaction would otherwise take a reward's lock while holding the accounts, the reverse of another
    # event's order (a deadlock under load).
    list(
        Reward.objects.select_for_update()
        .filter(tenant=tenant, pk__in={r.reward_id for r in matching} | (also_lock or set()))
        .order_by("pk")
    )
    capped = [rule.pk for rule in matching if (rule.caps or {}).get("global")]
    if capped:  # then the rules whose global count is read, for the same reason
        list(Rule.objects.select_for_update().filter(tenant=tenant, pk__in=capped).order_by("pk"))
    for rule in matching:
        reason = _held_back(tenant=tenant, rule=rule, customer=customer, at=event.occurred_at)
        if reason is None:
            try:
                with transaction.atomic():
                    issued.append(
                        issue_reward(
                            tenant=tenant, customer=customer, reward=rule.reward, actor=actor, rule=rule, event=event
                        )
                    )
            except (BudgetExhaustedError, RewardUnavailableError) as exc:
                reason = exc.code
        if reason is not None:
            skipped.append({"rule": rule.pk, "reason": reason})
            continue
        if rule.stop_processing:
            break
    return issued, skipped


def _period_start(period: str, at: datetime, zone: ZoneInfo) -> datetime | None:
    if period == "all":
        return None
    day = at.astimezone(zone).date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return datetime.combine(day, time.min, tzinfo=zone)


def _held_back(*, tenant: Tenant, rule: Rule, customer: Customer, at: datetime) -> str | None:
    """Why the rule's reward may not go to this customer now (a cooldown, a cap), or None."""
    given = Issuance.objects.filter(tenant=tenant, rule=rule)
    if rule.cooldown_seconds:
        since = at - timedelta(seconds=rule.cooldown_seconds)
        if given.filter(customer=customer, created_at__gt=since).exists():
            return "cooldown"
    zone = ZoneInfo(tenant.time_zone)
    for scope in ("per_customer", "global"):
        cap = (rule.caps or {}).get(scope)
        if not cap:
            continue
        counted = given.filter(customer=customer) if scope == "per_customer" else given
        start = _period_start(cap["period"], at, zone)
        if start is not None:
            counted = counted.filter(created_at__gte=start)
        if counted.count() >= cap["count"]:
            return f"cap_{scope}"
    return None


def _number(value: Any) -> int | float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def features_for(*, tenant: Tenant, event: Event, wanted: FeatureRequest) -> Features:
    """What the custom operators read for this event, computed from the customer's events."""
    counts: dict[tuple[str, int], int] = dict.fromkeys(wanted.event_counts, 0)
    sums: dict[tuple[str, str, int], int | float] = dict.fromkeys(wanted.event_sums, 0)
    mine = Event.objects.filter(tenant=tenant, customer_id=event.customer_id)
    if wanted.window_event_types:
        since = event.occurred_at - timedelta(days=wanted.lookback_days)
        rows = mine.filter(
            event_type__in=wanted.window_event_types, occurred_at__gt=since, occurred_at__lte=event.occurred_at
        ).values_list("event_type", "occurred_at", "data")
        for kind, moment, payload in rows:
            age = event.occurred_at - moment
            for key in counts:
                if key[0] == kind and age < timedelta(days=key[1]):
                    counts[key] += 1
            for skey in sums:
                if skey[0] == kind and age < timedelta(days=skey[2]):
                    sums[skey] += _number((payload or {}).get(skey[1]) if isinstance(payload, dict) else None)
    first_types = set(wanted.first_event_types) | ({event.event_type} if wanted.first_event_of_this_type else set())
    seen: set[str] = set()
    if first_types:
        earlier = (
            mine.filter(event_type__in=first_types, occurred_at__lte=event.occurred_at)
            .exclude(pk=event.pk)
            .values("event_type")
            .annotate(n=Count("pk"))
            .filter(~Q(n=0))
        )
        seen = {row["event_type"] for row in earlier}
    weekday, hour = local_clock(event.occurred_at, ZoneInfo(tenant.time_zone))
    return Features(
        event_counts=counts,
        event_sums={key: (float(v) if isinstance(v, Decimal) else v) for key, v in sums.items()},
        first_event={kind: kind not in seen for kind in wanted.first_event_types},
        first_event_of_this_type=(event.event_type not in seen) if wanted.first_event_of_this_type else None,
        day_of_week=weekday,
        hour_of_day=hour,
    )
