"""Rules: validated and compiled when saved, never interpreted from JSON at ingest.

A rule's compiled form is cached per process by (rule id, version, last change); every change bumps `version`,
so a stale compilation is never used. `caps` limit how often a rule gives its reward:
`{"per_customer": {"count": 1, "period": "day"}, "global": {"count": 100, "period": "month"}}`, periods `day`,
`week`, `month` (in the tenant's time zone) or `all`; `cooldown_seconds` keeps a customer from getting it again
within that many seconds."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import Campaign, CampaignStatus, Reward, Rule, Tenant
from loyalty.rules import CompiledRule, RuleError, compile_rule

CAP_SCOPES = ("per_customer", "global")
CAP_PERIODS = ("day", "week", "month", "all")
# (id, version, last change): the moment makes a key unique even where ids are reused (a test database)
_compiled: dict[tuple[int, int, datetime], CompiledRule] = {}


def rule_of(*, tenant: Tenant, rule_id: int) -> Rule:
    rule = Rule.objects.filter(tenant=tenant, pk=rule_id).select_related("reward", "campaign").first()
    if rule is None:
        raise LoyaltyObjectNotFoundError("No such rule.", details={"rule": rule_id})
    return rule


def compiled(rule: Rule) -> CompiledRule:
    """The rule's compiled conditions, compiled once per version in this process."""
    key = (rule.pk, rule.version, rule.updated_at)
    found = _compiled.get(key)
    if found is None:
        found = _compiled[key] = compile_rule(rule.conditions)
    return found


def check_conditions(conditions: Any) -> CompiledRule:
    """Compile or refuse: an unknown operator, a wrong number of arguments, a rule too deep or too large is a 400
    naming it (`details.conditions` the message, `details.path` where)."""
    try:
        return compile_rule(conditions)
    except RuleError as exc:
        raise LoyaltyInputError(
            f"conditions: {exc.message}", details={"conditions": [exc.message], "path": exc.path, "reason": exc.code}
        ) from None


def check_caps(caps: Any) -> dict[str, Any]:
    if caps in (None, {}):
        return {}
    if not isinstance(caps, dict) or set(caps) - set(CAP_SCOPES):
        raise LoyaltyInputError(details={"caps": [f"An object with {' and/or '.join(CAP_SCOPES)}."]})
    for scope, cap in caps.items():
        if (
            not isinstance(cap, dict)
            or set(cap) != {"count", "period"}
            or not isinstance(cap["count"], int)
            or isinstance(cap["count"], bool)
            or cap["count"] < 1
            or cap["period"] not in CAP_PERIODS
        ):
            message = f'{scope}: {{"count": a whole number from 1, "period": one of {", ".join(CAP_PERIODS)}}}.'
            raise LoyaltyInputError(details={"caps": [message]})
    return dict(caps)


def _own(model: type[Reward] | type[Campaign], tenant: Tenant, pk: Any, field: str) -> Any:
    found = model.objects.filter(tenant=tenant, pk=pk).first()
    if found is None:
        raise LoyaltyInputError(details={field: ["No such object in this tenant."]})
    return found


@dataclass(frozen=True)
class RuleWindow:
    starts_at: datetime | None
    ends_at: datetime | None


def create_rule(
    *,
    tenant: Tenant,
    name: str,
    conditions: Any,
    reward_id: int,
    priority: int = 100,
    caps: Any = None,
    cooldown_seconds: int = 0,
    active: bool = True,
    stop_processing: bool = False,
    campaign_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Rule:
    check_conditions(conditions)
    reward = _own(Reward, tenant, reward_id, "reward")
    campaign = _own(Campaign, tenant, campaign_id, "campaign") if campaign_id is not None else None
    if starts_at and ends_at and ends_at <= starts_at:
        raise LoyaltyInputError(details={"ends_at": ["A rule's window ends after it starts."]})
    return Rule.objects.create(
        tenant=tenant,
        name=name.strip(),
        conditions=conditions,
        reward=reward,
        campaign=campaign,
        priority=priority,
        caps=check_caps(caps),
        cooldown_seconds=cooldown_seconds,
        active=active,
        stop_processing=stop_processing,
        starts_at=starts_at,
        ends_at=ends_at,
    )


RULE_FIELDS = frozenset(
    {"name", "conditions", "priority", "caps", "cooldown_seconds", "active", "stop_processing", "starts_at", "ends_at"}
)


def update_rule(*, tenant: Tenant, rule_id: int, **fields: Any) -> Rule:
    """Change a rule; its version goes up, so the next event evaluates the new conditions."""
    unknown = set(fields) - RULE_FIELDS - {"reward_id", "campaign_id"}
    if unknown:
        raise LoyaltyInputError(details={sorted(unknown)[0]: ["This field cannot be changed."]})
    with transaction.atomic():
        rule = Rule.objects.select_for_update().filter(tenant=tenant, pk=rule_id).first()
        if rule is None:
            raise LoyaltyObjectNotFoundError("No such rule.", details={"rule": rule_id})
        if "conditions" in fields:
            check_conditions(fields["conditions"])
        if "caps" in fields:
            fields["caps"] = check_caps(fields["caps"])
        if "reward_id" in fields:
            fields["reward"] = _own(Reward, tenant, fields.pop("reward_id"), "reward")
        if "campaign_id" in fields:
            campaign_id = fields.pop("campaign_id")
            fields["campaign"] = _own(Campaign, tenant, campaign_id, "campaign") if campaign_id is not None else None
        for name, value in fields.items():
            setattr(rule, name, value.strip() if name == "name" else value)
        if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
            raise LoyaltyInputError(details={"ends_at": ["A rule's window ends after it starts."]})
        rule.version = F("version") + 1
        rule.save()
        rule.refresh_from_db()
    return rule


def live_rules(*, tenant: Tenant, at: datetime) -> list[Rule]:
    """The rules an event at `at` is evaluated against, by priority: active, inside their window, and not in a
    campaign that is paused, ended or outside its own window."""
    window = (Q(starts_at__isnull=True) | Q(starts_at__lte=at)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=at))
    campaign_live = Q(campaign__isnull=True) | (
        Q(campaign__status=CampaignStatus.ACTIVE)
        & (Q(campaign__starts_at__isnull=True) | Q(campaign__starts_at__lte=at))
        & (Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=at))
    )
    return list(
        Rule.objects.filter(tenant=tenant, active=True)
        .filter(window, campaign_live)
        .select_related("reward")
        .order_by("priority", "pk")
    )
