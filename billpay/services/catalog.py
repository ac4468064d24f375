"""Bill payments' catalog writes: the catalog sync, customer verification, and the sandbox's completion control.

Only the provider adapters speak HTTP, and never inside a database transaction: a sync fetches the whole catalog
first, then writes it in one `transaction.atomic()`; a provider error before that changes nothing.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from billpay.errors import BillInputError, BillServiceNotVerifiableError, SandboxTransactionNotFoundError
from billpay.models import BillCategory, Biller, BillVariation, CategoryCode, MeterType, SandboxBillTransaction
from billpay.providers import registry
from billpay.providers.base import BillProvider, CatalogService, CatalogVariation, VerifiedCustomer
from billpay.selectors import get_biller, invalidate_catalog_cache

# Categories whose services are sold as a provider variation (a plan, a bouquet, a PIN). Electricity's variations
# are the meter types, and each becomes a biller of its own (`ikeja-electric-prepaid`, `ikeja-electric-postpaid`).
PLAN_CATEGORIES = frozenset({CategoryCode.DATA, CategoryCode.TV, CategoryCode.EDUCATION})
METER_TYPES = (MeterType.PREPAID, MeterType.POSTPAID)
CUSTOMER_ID = re.compile(r"^[0-9A-Za-z-]{4,32}$")


@dataclass
class BillerSpec:
    """One biller as the provider describes it today."""

    slug: str
    service_id: str
    meter_type: str
    name: str
    category: str
    service: CatalogService
    variations: list[CatalogVariation] | None  # None: this biller sells no variations


@dataclass
class CatalogSyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    variations_created: int = 0
    variations_updated: int = 0
    variations_deactivated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fetch_catalog(*, provider: BillProvider) -> list[BillerSpec]:
    """Everything the provider sells in our five categories (network only, no database writes)."""
    offered = {category.identifier for category in provider.categories()}
    specs: list[BillerSpec] = []
    for category in CategoryCode:
        identifier = provider.category_identifiers.get(category.value)
        if identifier is None or identifier not in offered:
            continue
        for service in provider.services(category=identifier):
            base_slug = provider.service_slugs.get(service.service_id, service.service_id)
            if category == CategoryCode.ELECTRICITY:
                codes = {variation.code.lower() for variation in provider.variations(service_id=service.service_id)}
                specs.extend(
                    BillerSpec(
                        slug=slugify(f"{base_slug}-{meter_type.value}"),
                        service_id=service.service_id,
                        meter_type=meter_type.value,
                        name=f"{service.name} ({meter_type.label})",
                        category=category.value,
                        service=service,
                        variations=None,
                    )
                    for meter_type in METER_TYPES
                    if meter_type.value in codes
                )
                continue
            specs.append(
                BillerSpec(
                    slug=slugify(base_slug),
                    service_id=service.service_id,
                    meter_type="",
                    name=service.name,
                    category=category.value,
                    service=service,
                    variations=(
                        provider.variations(service_id=service.service_id) if category in PLAN_CATEGORIES else None
                    ),
                )
            )
    return specs


def _biller_fields(spec: BillerSpec, category: BillCategory) -> dict[str, Any]:
    service = spec.service
    min_amount, max_amount = service.min_amount, service.max_amount
    if min_amount is not None and min_amount < 0:
        min_amount = None
    if min_amount is not None and max_amount is not None and max_amount < min_amount:
        max_amount = None
    return {
        "slug": spec.slug,
        "name": spec.name[:150],
        "category": category,
        "min_amount": min_amount,
        "max_amount": max_amount,
        "convenience_fee": max(service.convenience_fee, Decimal("0")),
        "product_type": service.product_type[:20],
        "image": service.image[:500],
        "active": True,
    }


def _changed(instance: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _sync_variations(
    biller: Biller, variations: list[CatalogVariation], now: datetime, result: CatalogSyncResult
) -> None:
    existing = {variation.code: variation for variation in biller.variations.all()}
    seen: set[str] = set()
    for item in variations:
        if item.code in seen:
            continue
        seen.add(item.code)
        values = {"name": item.name[:255], "amount": max(item.amount, Decimal("0")), "fixed_price": item.fixed_price}
        variation = existing.get(item.code)
        if variation is None:
            BillVariation.objects.create(biller=biller, code=item.code, active=True, synced_at=now, **values)
            result.variations_created += 1
            continue
        changed = _changed(variation, {**values, "active": True})
        if changed:
            variation.synced_at = now
            variation.save(update_fields=[*changed, "synced_at"])
            result.variations_updated += 1
    gone = [variation.pk for code, variation in existing.items() if code not in seen and variation.active]
    if gone:
        result.variations_deactivated += BillVariation.objects.filter(pk__in=gone).update(active=False, synced_at=now)


def sync_catalog(*, provider: BillProvider | None = None) -> CatalogSyncResult:
    """Bring our catalog in line with the provider's (`manage.py sync_billers`, and daily). Idempotent: a second
    run changes nothing. A biller or variation the provider no longer offers becomes inactive, never deleted
    (orders and beneficiaries point at it)."""
    provider = provider or registry.get_bill_provider()
    specs = fetch_catalog(provider=provider)
    now = timezone.now()
    result = CatalogSyncResult()
    with transaction.atomic():
        categories = {}
        for position, category in enumerate(CategoryCode):
            row, _ = BillCategory.objects.get_or_create(code=category.value, defaults={"name": category.label})
            values = {
                "name": row.name or category.label,
                "provider_identifier": provider.category_identifiers.get(category.value, ""),
                "position": position,
            }
            changed = _changed(row, values)
            if changed:
                row.save(update_fields=changed)
            categories[category.value] = row

        existing = {(biller.service_id, biller.meter_type): biller for biller in Biller.objects.all()}
        seen: set[int] = set()
        for spec in specs:
            key = (spec.service_id, spec.meter_type)
            values = _biller_fields(spec, categories[spec.category])
            biller = existing.get(key)
            if biller is None:
                biller = Biller.objects.create(
                    service_id=spec.service_id, meter_type=spec.meter_type, synced_at=now, **values
                )
                existing[key] = biller
                result.created.append(biller.slug)
            elif biller.pk in seen:
                continue
            else:
                changed = _changed(biller, values)
                if changed:
                    biller.synced_at = now
                    biller.save(update_fields=[*changed, "synced_at"])
                    result.updated.append(biller.slug)
            seen.add(biller.pk)
            if spec.variations is not None:
                _sync_variations(biller, spec.variations, now, result)

        for biller in existing.values():
            if biller.pk not in seen and biller.active:
                biller.active = False
                biller.synced_at = now
                biller.save(update_fields=["active", "synced_at"])
                result.deactivated.append(biller.slug)
        transaction.on_commit(invalidate_catalog_cache)
    return result


def verify_bill_customer(*, service: str, customer_id: str, provider: BillProvider | None = None) -> VerifiedCustomer:
    """Look up a meter or smartcard number with the biller (`POST bills/verify/`): the customer's name, address
    and, for TV, the current bouquet and due date. BillCustomerInvalidError (422) for a number it does not know."""
    biller = get_biller(slug=service)
    if not biller.needs_verification:
        raise BillServiceNotVerifiableError(details={"service": service})
    number = re.sub(r"\s+", "", customer_id or "")
    if not CUSTOMER_ID.fullmatch(number):
        raise BillInputError(
            "Enter the meter or smartcard number.", details={"customer_id": ["Enter the meter or smartcard number."]}
        )
    provider = provider or registry.get_bill_provider()
    return provider.merchant_verify(service_id=biller.service_id, customer_id=number, meter_type=biller.meter_type)


def complete_sandbox_transaction(*, request_id: str, outcome: str) -> SandboxBillTransaction:
    """End a pending sandbox purchase: `delivered`, `failed`, or `reversed` (also a delivered one). Only while the
    sandboxes are on; a later issue mounts it as `POST /sandbox/vtpass/transactions/{request_id}/complete/`."""
    if not settings.PROVIDERS_SANDBOX:
        raise SandboxTransactionNotFoundError("The sandboxes are off.")
    return registry.complete_sandbox_transaction(request_id=request_id, outcome=outcome)
