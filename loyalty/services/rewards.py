"""Rewards, their voucher code pools and item stock, and the low-stock alert.

A reward's `cost` is charged to its budget (in the budget's currency, the tenant's). `value` is the discount (a
percent, or an amount in the tenant's currency), the points a points reward credits, or the face value of a
voucher or item (shown, never charged). A voucher reward issues one code of its pool per issuance; an item reward
takes one from `stock`. When free codes or stock fall to `low_stock_threshold`, the tenant's admins are alerted
once (`low_stock_alerted_at`); replenishing above the threshold clears it, so the next fall alerts again.
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.money import AmountError, parse_amount
from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError, LoyaltyStateError
from loyalty.models import Budget, Campaign, DiscountKind, Reward, RewardType, Tenant, VoucherCode, WebhookEventType
from loyalty.services.budgets import alert_admins
from loyalty.services.webhooks import publish

MAX_CODES_PER_UPLOAD = 10_000
MAX_CODE_LENGTH = 64
MAX_CODES_FILE_BYTES = 2 * 1024 * 1024
_LOOKUP_CHUNK = 500


# --- reads -------------------------------------------------------------------------------------------------------


def rewards_of(*, tenant: Tenant) -> QuerySet[Reward]:
    return Reward.objects.filter(tenant=tenant).select_related("budget").order_by("-created_at", "-pk")


def reward_of(*, tenant: Tenant, reward_id: int | str) -> Reward:
    """The tenant's reward, or not found (another tenant's is not found either)."""
    try:
        pk = int(reward_id)
    except (TypeError, ValueError):
        raise LoyaltyObjectNotFoundError() from None
    reward = Reward.objects.filter(tenant=tenant, pk=pk).first()
    if reward is None:
        raise LoyaltyObjectNotFoundError()
    return reward


def free_codes(*, tenant: Tenant, reward: Reward) -> int:
    """How many of a voucher reward's codes are not issued yet."""
    return VoucherCode.objects.filter(tenant=tenant, reward=reward, issued_at__isnull=True).count()


def _left(*, tenant: Tenant, reward: Reward) -> int | None:
    """Free codes (voucher) or items in stock (item); None when the reward has no pool to run out of."""
    if reward.reward_type == RewardType.VOUCHER:
        return free_codes(tenant=tenant, reward=reward)
    if reward.reward_type == RewardType.ITEM:
        return Reward.objects.filter(pk=reward.pk).values_list("stock", flat=True).first()
    return None


# --- writes ------------------------------------------------------------------------------------------------------


def _locked_reward(*, tenant: Tenant, reward_id: int | str) -> Reward:
    pk = reward_of(tenant=tenant, reward_id=reward_id).pk
    return Reward.objects.select_for_update().get(tenant=tenant, pk=pk)


def _own(model: type[Budget] | type[Campaign], tenant: Tenant, pk: Any) -> Any:
    try:
        return model.objects.filter(tenant=tenant, pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, float | bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def create_reward(
    *,
    tenant: Tenant,
    name: str,
    reward_type: str,
    value: Decimal | str | int,
    cost: Decimal | str,
    budget_id: int | str,
    discount_kind: str = "",
    validity_days: int | None = None,
    terms: str = "",
    stock: int | None = None,
    campaign_id: int | str | None = None,
) -> Reward:
    """A reward charged to one of the tenant's budgets. Every problem is reported at once, by field."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = ["Give the reward a name of at most 120 characters."]
    if reward_type not in RewardType.values:
        errors["reward_type"] = [f"Use one of {', '.join(RewardType.values)}."]

    budget = _own(Budget, tenant, budget_id)
    if budget is None:
        errors["budget"] = ["No such budget in this tenant."]
    elif budget.currency != tenant.currency:
        errors["budget"] = [f"The budget is in {budget.currency}, not the tenant's currency {tenant.currency}."]
    campaign = None
    if campaign_id is not None:
        campaign = _own(Campaign, tenant, campaign_id)
        if campaign is None:
            errors["campaign"] = ["No such campaign in this tenant."]

    currency = tenant.currency
    try:
        cost_amount = parse_amount(cost, currency, allow_zero=True)
    except AmountError as exc:
        errors["cost"] = [str(exc)]
        cost_amount = Decimal("0")

    discount_kind = discount_kind or ""
    number = _decimal(value)
    amount = Decimal("0")
    if reward_type == RewardType.DISCOUNT:
        if discount_kind not in (DiscountKind.PERCENT, DiscountKind.AMOUNT):
            errors["discount_kind"] = ["A discount is a `percent` or an `amount`."]
        elif discount_kind == DiscountKind.PERCENT:
            if number is None or number <= 0 or number > 100 or number != number.quantize(Decimal("0.01")):
                errors["value"] = ["A percent discount is more than 0 and at most 100, with at most 2 decimals."]
            else:
                amount = number.quantize(Decimal("0.01"))
        else:
            try:
                amount = parse_amount(value, currency)
            except AmountError as exc:
                errors["value"] = [str(exc)]
    elif reward_type in RewardType.values:
        if discount_kind:
            errors["discount_kind"] = ["Only a discount has a discount kind."]
        if reward_type == RewardType.POINTS:
            if number is None or number <= 0 or number != number.to_integral_value() or number > 10**12:
                errors["value"] = ["Points are a whole number above 0."]
            else:
                amount = number.quantize(Decimal("0.01"))
        else:
            try:
                amount = parse_amount(value, currency, allow_zero=True)
            except AmountError as exc:
                errors["value"] = [str(exc)]

    if validity_days is not None and (
        isinstance(validity_days, bool) or not isinstance(validity_days, int) or not 1 <= validity_days <= 36500
    ):
        errors["validity_days"] = ["A whole number of days, at least 1."]
    if reward_type == RewardType.ITEM:
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            errors["stock"] = ["An item reward needs its stock: a whole number, 0 or more."]
    elif stock is not None:
        errors["stock"] = ["Only an item reward has stock."]
    if errors:
        raise LoyaltyInputError(details=errors)

    return Reward.objects.create(
        tenant=tenant,
        name=name,
        reward_type=reward_type,
        discount_kind=discount_kind,
        value=amount,
        cost=cost_amount,
        budget=budget,
        campaign=campaign,
        validity_days=validity_days,
        terms=terms or "",
        stock=stock,
    )


def parse_codes_csv(data: bytes) -> list[str]:
    """The codes of an uploaded file: UTF-8 text, one code a line (the first column if the line has several),
    a header `code` allowed on the first line; blank lines ignored. Codes are returned stripped, in order,
    duplicates kept (`add_voucher_codes` counts them)."""
    if len(data) > MAX_CODES_FILE_BYTES:
        raise LoyaltyInputError(details={"file": [f"The file may be at most {MAX_CODES_FILE_BYTES} bytes."]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoyaltyInputError(details={"file": ["The file must be UTF-8 text."]}) from None
    if "\x00" in text:  # no database text column holds one
        raise LoyaltyInputError(details={"file": ["The file holds a NUL character."]})
    codes: list[str] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            first = row[0].strip() if row else ""
            if not first:
                continue
            if not codes and first.lower() == "code":
                continue  # the header
            codes.append(first)
    except csv.Error as exc:
        raise LoyaltyInputError(details={"file": [f"Not a readable CSV file: {exc}"]}) from None
    return codes


def add_voucher_codes(*, tenant: Tenant, reward_id: int | str, codes: Iterable[str]) -> tuple[int, int]:
    """Add codes to a voucher reward's pool: (added, duplicates). Codes are stripped and blank ones ignored; a
    duplicate is a code repeated in the upload or already in the pool. The whole upload is refused when a code is
    longer than 64 characters or there are more than 10,000."""
    cleaned: list[str] = []
    too_long: list[int] = []
    for position, raw in enumerate(codes, start=1):
        code = str(raw).strip()
        if not code:
            continue
        if len(code) > MAX_CODE_LENGTH:
            too_long.append(position)
        cleaned.append(code)
        if len(cleaned) > MAX_CODES_PER_UPLOAD:
            raise LoyaltyInputError(details={"codes": [f"At most {MAX_CODES_PER_UPLOAD} codes per upload."]})
    if too_long:
        shown = ", ".join(str(position) for position in too_long[:10])
        raise LoyaltyInputError(
            details={"codes": [f"A code is at most {MAX_CODE_LENGTH} characters; too long: entries {shown}."]}
        )
    unique = list(dict.fromkeys(cleaned))
    with transaction.atomic():
        # the reward's row lock serialises uploads to one pool, so the counts are exact
        reward = _locked_reward(tenant=tenant, reward_id=reward_id)
        if reward.reward_type != RewardType.VOUCHER:
            raise LoyaltyStateError("Only a voucher reward has a pool of codes.", details={"reward": reward.pk})
        existing: set[str] = set()
        for start in range(0, len(unique), _LOOKUP_CHUNK):
            chunk = unique[start : start + _LOOKUP_CHUNK]
            existing.update(
                VoucherCode.objects.filter(tenant=tenant, reward=reward, code__in=chunk).values_list("code", flat=True)
            )
        new = [code for code in unique if code not in existing]
        VoucherCode.objects.bulk_create(
            [VoucherCode(tenant=tenant, reward=reward, code=code) for code in new], batch_size=1000
        )
        if new:
            check_low_stock(tenant=tenant, reward=reward, alert=False)
    return len(new), len(cleaned) - len(new)


def restock_reward(*, tenant: Tenant, reward_id: int | str, quantity: int) -> Reward:
    """Add `quantity` items to an item reward's stock."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 10**9:
        raise LoyaltyInputError(details={"quantity": ["A whole number of items, at least 1."]})
    with transaction.atomic():
        reward = _locked_reward(tenant=tenant, reward_id=reward_id)
        if reward.reward_type != RewardType.ITEM:
            raise LoyaltyInputError(details={"reward": ["Only an item reward has stock."]})
        reward.stock = (reward.stock or 0) + quantity
        reward.save(update_fields=["stock"])
        check_low_stock(tenant=tenant, reward=reward, alert=False)
    return reward


def check_low_stock(*, tenant: Tenant, reward: Reward, alert: bool = True) -> None:
    """Alert the tenant's admins once when the reward's free codes or stock are at or below its threshold
    (`alert=False`: only clear the mark when replenished above it). Call under the reward's row lock."""
    left = _left(tenant=tenant, reward=reward)
    if left is None:
        return
    if left > reward.low_stock_threshold:
        if Reward.objects.filter(pk=reward.pk, low_stock_alerted_at__isnull=False).update(low_stock_alerted_at=None):
            reward.low_stock_alerted_at = None
        return
    if not alert:
        return
    now = timezone.now()
    if not Reward.objects.filter(pk=reward.pk, low_stock_alerted_at__isnull=True).update(low_stock_alerted_at=now):
        return  # alerted already since the last replenishment
    reward.low_stock_alerted_at = now
    alert_admins(
        tenant=tenant,
        event="loyalty_reward_low_stock",
        context={"reward": reward.name, "left": str(left), "threshold": str(reward.low_stock_threshold)},
        key=f"low-stock:{reward.pk}:{now.isoformat()}",
    )
    publish(
        tenant=tenant,
        event_type=WebhookEventType.VOUCHER_LOW_STOCK,
        payload={
            "reward_id": reward.pk,
            "reward_name": reward.name,
            "reward_type": reward.reward_type,
            "left": left,
            "threshold": reward.low_stock_threshold,
            "at": now.isoformat(),
        },
    )
