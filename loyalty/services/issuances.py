"""Issuances: a reward given to a customer, and its life.

    reserved ──→ issued ──→ redeemed
        │           │
        └──→ expired / cancelled ←──┘

Any other move raises `IssuanceStateError` (409 `issuance_state`) and changes nothing; every move is an
`IssuanceTransition` with its actor (`user:<id>`, `api_key:<key id>`, `rule:<id>`, `job:<name>`).

Money (loyalty/services/budgets.py): issuing reserves the cost (budget → reserved), redeeming charges it (reserved
→ spent), expiry and cancellation release it (reserved → budget).

What the customer holds:
- a voucher reward: one code of the pool, taken under `SELECT … FOR UPDATE SKIP LOCKED`; the code row is the unit
  (`issued_at` set, and `Issuance.voucher` is one-to-one), so no code is ever issued twice. A cancelled or expired
  voucher's code is not put back: the customer may have seen it.
- a discount or an item: a one-time 6-digit redemption code, kept in `Issuance.code` in clear, because the
  customer is shown it (WhatsApp, USSD, web) to give at the till. An item takes one from stock at issue and puts
  it back when the issuance expires or is cancelled (it was never handed over).
- points: credited at once (a `PointsEntry` and `Customer.points`). The reward is delivered as it is issued, so the
  issuance goes reserved → issued → redeemed in the same transaction and its cost is charged at once; nothing is
  left reserved for a reward that cannot be taken back.

Redemption is exactly once: under the issuance's row lock, and only from `issued`; a code given must match.
"""

import hmac
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from loyalty.errors import (
    IssuanceStateError,
    LoyaltyInputError,
    LoyaltyObjectNotFoundError,
    RewardUnavailableError,
)
from loyalty.models import (
    ConsentChannel,
    Customer,
    CustomerStatus,
    Event,
    Issuance,
    IssuanceState,
    IssuanceTransition,
    Reward,
    RewardType,
    Rule,
    Tenant,
    VoucherCode,
    WebhookEventType,
)
from loyalty.services.budgets import charge_cost, release_cost, reserve_cost
from loyalty.services.consent import may_message
from loyalty.services.points import credit_points
from loyalty.services.rewards import check_low_stock
from loyalty.services.webhooks import issuance_payload, publish
from notifications.catalog import Channel
from notifications.services import notify_address

State = IssuanceState

TRANSITIONS: dict[str, frozenset[str]] = {
    State.RESERVED: frozenset({State.ISSUED, State.EXPIRED, State.CANCELLED}),
    State.ISSUED: frozenset({State.REDEEMED, State.EXPIRED, State.CANCELLED}),
    State.REDEEMED: frozenset(),
    State.EXPIRED: frozenset(),
    State.CANCELLED: frozenset(),
}
EXPIRY_ACTOR = "job:expire_issuances"
EXPIRY_WARNING = timedelta(days=3)
EXPIRY_BATCH = 500


# --- reads -------------------------------------------------------------------------------------------------------


def issuances_of(*, tenant: Tenant) -> QuerySet[Issuance]:
    return Issuance.objects.filter(tenant=tenant).select_related("customer", "reward").order_by("-created_at", "-pk")


def issuance_of(*, tenant: Tenant, issuance_id: int | str) -> Issuance:
    """The tenant's issuance, or not found (another tenant's is not found either)."""
    return _issuance(tenant=tenant, issuance_id=issuance_id, lock=False)


def transitions_of(*, tenant: Tenant, issuance: Issuance) -> QuerySet[IssuanceTransition]:
    return IssuanceTransition.objects.filter(tenant=tenant, issuance=issuance).order_by("at", "pk")


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


# --- writes ------------------------------------------------------------------------------------------------------


def _issuance(*, tenant: Tenant, issuance_id: int | str, lock: bool) -> Issuance:
    try:
        pk = int(issuance_id)
    except (TypeError, ValueError):
        raise LoyaltyObjectNotFoundError() from None
    issuances = Issuance.objects.filter(tenant=tenant, pk=pk)
    if lock:
        issuances = issuances.select_for_update()
    issuance = issuances.first()
    if issuance is None:
        raise LoyaltyObjectNotFoundError()
    return issuance


def _check_actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > 80:
        raise LoyaltyInputError(
            details={"actor": ["Who did it: user:<id>, api_key:<key id>, rule:<id> or job:<name>."]}
        )
    return actor.strip()


def _record(*, issuance: Issuance, from_state: str, to_state: str, actor: str, reason: str = "") -> None:
    IssuanceTransition.objects.create(
        tenant_id=issuance.tenant_id,
        issuance=issuance,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        reason=reason[:255],
    )


def _move(*, issuance: Issuance, to_state: str, actor: str, reason: str = "") -> None:
    """Move a locked (or just created) issuance to `to_state`, or raise `IssuanceStateError` with nothing changed."""
    if not can_transition(issuance.state, to_state):
        raise IssuanceStateError(
            f"An issuance that is {issuance.state} cannot become {to_state}.",
            details={"state": issuance.state, "to_state": to_state},
        )
    from_state = issuance.state
    issuance.state = to_state
    issuance.save(update_fields=["state", "updated_at"])
    _record(issuance=issuance, from_state=from_state, to_state=to_state, actor=actor, reason=reason)


def _redemption_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def issue_reward(
    *,
    tenant: Tenant,
    customer: Customer,
    reward: Reward,
    actor: str,
    rule: Rule | None = None,
    event: Event | None = None,
) -> Issuance:
    """Give `reward` to `customer`, in one transaction: the reward's row locked, a voucher code or an item taken
    (`RewardUnavailableError` when none is left or the reward is off), the cost reserved within the budget's cap
    and money (`BudgetExhaustedError`), transitions reserved then issued recorded with `actor`. Nothing is kept
    when any step fails."""
    actor = _check_actor(actor)
    for name, obj in (("customer", customer), ("reward", reward), ("rule", rule), ("event", event)):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise LoyaltyObjectNotFoundError(details={"field": name})
    if event is not None and event.customer_id != customer.pk:
        raise LoyaltyInputError(details={"event": ["The event is another customer's."]})
    if customer.status != CustomerStatus.ACTIVE:
        raise LoyaltyInputError(details={"customer": [f"The customer is {customer.status}: no rewards."]})

    with transaction.atomic():
        # `of`: the reward's row only (the budget's row is locked after its accounts, never before)
        reward = (
            Reward.objects.select_for_update(of=("self",)).select_related("budget").get(tenant=tenant, pk=reward.pk)
        )
        if not reward.active:
            raise RewardUnavailableError("This reward is switched off.", details={"reward": reward.pk})
        now = timezone.now()
        voucher: VoucherCode | None = None
        code = ""
        if reward.reward_type == RewardType.VOUCHER:
            voucher = (
                VoucherCode.objects.select_for_update(skip_locked=True)
                .filter(tenant=tenant, reward=reward, issued_at__isnull=True)
                .order_by("pk")
                .first()
            )
            if voucher is None:
                raise RewardUnavailableError("No voucher code is left.", details={"reward": reward.pk})
            code = voucher.code
        elif reward.reward_type == RewardType.ITEM:
            if reward.stock is not None:
                if reward.stock < 1:
                    raise RewardUnavailableError("Out of stock.", details={"reward": reward.pk})
                Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
                reward.stock -= 1
            code = _redemption_code()
        elif reward.reward_type == RewardType.DISCOUNT:
            code = _redemption_code()

        expires_at = None
        if reward.validity_days and reward.reward_type != RewardType.POINTS:
            expires_at = now + timedelta(days=reward.validity_days)
        points = reward.reward_type == RewardType.POINTS
        # Saved in the state it ends this transaction in, its steps recorded in one insert: if any step fails,
        # the transaction keeps nothing, so no reader ever sees a state the steps did not reach.
        issuance = Issuance.objects.create(
            tenant=tenant,
            customer=customer,
            reward=reward,
            rule=rule,
            event=event,
            state=State.REDEEMED if points else State.ISSUED,
            cost=reward.cost,
            code=code,
            voucher=voucher,
            expires_at=expires_at,
        )
        reserve_cost(tenant=tenant, budget=reward.budget, issuance=issuance, spend_now=points)
        steps = [("", State.RESERVED, ""), (State.RESERVED, State.ISSUED, "")]
        if voucher is not None:
            VoucherCode.objects.filter(pk=voucher.pk).update(issued_at=now)
        if points:
            credit_points(
                tenant=tenant,
                customer=customer,
                amount=int(reward.value),
                reason=f"reward: {reward.name}"[:120],
                issuance=issuance,
            )
            steps.append((State.ISSUED, State.REDEEMED, "points credited"))
        IssuanceTransition.objects.bulk_create(
            IssuanceTransition(
                tenant_id=tenant.pk, issuance=issuance, from_state=old, to_state=new, actor=actor, reason=reason
            )
            for old, new, reason in steps
        )
        check_low_stock(tenant=tenant, reward=reward)
        _announce(tenant, issuance, WebhookEventType.REWARD_ISSUED)
        if points:
            _announce(tenant, issuance, WebhookEventType.REWARD_REDEEMED)
        if not points:
            _text_customer(
                tenant, customer, "loyalty_reward_issued", f"issued:{issuance.pk}", reward=reward.name, code=code
            )
    return issuance


def _announce(tenant: Tenant, issuance: Issuance, event_type: str) -> None:
    """Tell the tenant's webhook endpoints, in the issuance's transaction (sent only if it commits)."""
    publish(tenant=tenant, event_type=event_type, payload=issuance_payload(issuance))


def _customer_language(customer: Customer) -> str:
    """Customers choose a language on the channels of part 2; until then an attribute `language` may say."""
    language = customer.attributes.get("language") if isinstance(customer.attributes, dict) else None
    return language if language in ("en", "sw") else "en"


def _text_customer(tenant: Tenant, customer: Customer, event: str, key: str, **context: str) -> None:
    """An SMS from the merchant to an active customer who has not opted out of SMS; sent once the issuing
    transaction commits."""
    if customer.status != CustomerStatus.ACTIVE:
        return
    if not may_message(tenant=tenant, customer=customer, channel=ConsentChannel.SMS):
        return
    notify_address(
        channel=Channel.SMS,
        address=customer.phone,
        event=event,
        context={"merchant": tenant.display_name or tenant.name, **context},
        language=_customer_language(customer),
        key=f"{tenant.pk}:{key}",
    )


def warn_expiring_issuances(*, tenant: Tenant, now: datetime) -> int:
    """Text each customer whose issued reward expires within `EXPIRY_WARNING`, once per issuance; returns how
    many were told."""
    due = (
        Issuance.objects.filter(
            tenant=tenant, state=State.ISSUED, expires_at__gt=now, expires_at__lte=now + EXPIRY_WARNING
        )
        .select_related("customer", "reward")
        .order_by("pk")
    )
    zone = ZoneInfo(tenant.time_zone)
    told = 0
    for issuance in due:
        if issuance.expires_at is None:
            continue
        _text_customer(
            tenant,
            issuance.customer,
            "loyalty_reward_expiring",
            f"expiring:{issuance.pk}",
            reward=issuance.reward.name,
            expires_date=issuance.expires_at.astimezone(zone).date().isoformat(),
        )
        told += 1
    return told


def redeem_issuance(*, tenant: Tenant, issuance_id: int | str, actor: str, code: str | None = None) -> Issuance:
    """Redeem an issued reward, exactly once: the cost is charged (reserved → spent). A `code` given must be the
    issuance's (its voucher code, or its one-time code) — else `LoyaltyInputError`; an issuance that is not
    `issued` (redeemed already, expired, cancelled) or whose time has passed → `IssuanceStateError`."""
    actor = _check_actor(actor)
    with transaction.atomic():
        issuance = _issuance(tenant=tenant, issuance_id=issuance_id, lock=True)
        if not can_transition(issuance.state, State.REDEEMED):
            raise IssuanceStateError(
                f"An issuance that is {issuance.state} cannot be redeemed.",
                details={"state": issuance.state, "to_state": State.REDEEMED},
            )
        if issuance.expires_at is not None and issuance.expires_at <= timezone.now():
            raise IssuanceStateError("This reward has expired.", details={"state": issuance.state, "expired": True})
        if code is not None and not (
            issuance.code and hmac.compare_digest(str(code).strip().encode(), issuance.code.encode())
        ):
            raise LoyaltyInputError("The code does not match this reward.", details={"code": ["Wrong code."]})
        _move(issuance=issuance, to_state=State.REDEEMED, actor=actor)
        charge_cost(budget=issuance.reward.budget, issuance=issuance)
        _announce(tenant, issuance, WebhookEventType.REWARD_REDEEMED)
    return issuance


def _release(*, tenant: Tenant, issuance: Issuance, to_state: str, actor: str, reason: str) -> None:
    """Expire or cancel a locked issuance: its cost back to the budget, an item back into stock."""
    _move(issuance=issuance, to_state=to_state, actor=actor, reason=reason)
    reward = issuance.reward
    if reward.reward_type == RewardType.ITEM:
        reward = Reward.objects.select_for_update().get(pk=reward.pk)  # before the budget's accounts: lock order
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
            reward.stock += 1
            check_low_stock(tenant=tenant, reward=reward, alert=False)
    release_cost(budget=reward.budget, issuance=issuance)
    if to_state == State.EXPIRED:
        _announce(tenant, issuance, WebhookEventType.REWARD_EXPIRED)


def cancel_issuance(*, tenant: Tenant, issuance_id: int | str, actor: str, reason: str = "") -> Issuance:
    """Cancel a reserved or issued reward: its cost goes back to the budget."""
    actor = _check_actor(actor)
    with transaction.atomic():
        issuance = _issuance(tenant=tenant, issuance_id=issuance_id, lock=True)
        _release(tenant=tenant, issuance=issuance, to_state=State.CANCELLED, actor=actor, reason=reason)
    return issuance


def expire_due_issuances(*, tenant: Tenant, now: datetime) -> int:
    """Expire the tenant's reserved and issued rewards whose `expires_at` has come, releasing their cost; returns
    how many. Rows another transaction holds (being redeemed right now) are skipped, for the next run."""
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                Issuance.objects.select_for_update(skip_locked=True)
                .filter(tenant=tenant, state__in=(State.RESERVED, State.ISSUED), expires_at__lte=now)
                .order_by("pk")[:EXPIRY_BATCH]
            )
            for issuance in due:
                _release(tenant=tenant, issuance=issuance, to_state=State.EXPIRED, actor=EXPIRY_ACTOR, reason="")
        expired += len(due)
        if len(due) < EXPIRY_BATCH:
            return expired
