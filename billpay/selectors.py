"""Reads: the catalog, served from our own tables through the cache: a list never calls the provider. A catalog sync
bumps the cache version (`invalidate_catalog_cache`), so every reader sees the new catalog at once."""

import time
import uuid

from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet

from billpay.errors import BeneficiaryNotFoundError, BillOrderNotFoundError, BillServiceNotFoundError
from billpay.models import Beneficiary, Biller, BillOrder, BillVariation

SLUG_LENGTH = Biller._meta.get_field("slug").max_length or 80
CATALOG_CACHE_TTL = 60 * 60  # a sync invalidates sooner; this only bounds how long a stale copy can live
_VERSION_KEY = "billpay:catalog:version"


def _catalog_key(*parts: str) -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        version = time.time_ns()
        cache.add(_VERSION_KEY, version, None)
        version = cache.get(_VERSION_KEY, version)
    return ":".join(("billpay:catalog", str(version), *parts))


def invalidate_catalog_cache() -> None:
    cache.set(_VERSION_KEY, time.time_ns(), None)


def active_billers() -> QuerySet[Biller]:
    """Active billers with their category, each annotated `has_variations` (an active plan or bouquet)."""
    return (
        Biller.objects.filter(active=True)
        .select_related("category")
        .annotate(has_variations=Exists(BillVariation.objects.filter(biller=OuterRef("pk"), active=True)))
        .order_by("category__position", "name")
    )


def list_billers(*, category: str | None = None) -> list[Biller]:
    """What `GET bills/services/` lists, optionally one category's (airtime, data, electricity, tv, education)."""
    key = _catalog_key("billers", category or "*")
    billers: list[Biller] | None = cache.get(key)
    if billers is None:
        queryset = active_billers()
        if category:
            queryset = queryset.filter(category__code=category)
        billers = list(queryset)
        cache.set(key, billers, CATALOG_CACHE_TTL)
    return billers


def get_biller(*, slug: str) -> Biller:
    """An active biller by its public id (`mtn`, `ikeja-electric-prepaid`, `dstv`)."""
    if len(slug) > SLUG_LENGTH:  # no such biller, and no cache key that long
        raise BillServiceNotFoundError(details={"service": slug[:SLUG_LENGTH]})
    key = _catalog_key("biller", slug)
    biller: Biller | None = cache.get(key)
    if biller is None:
        biller = active_billers().filter(slug=slug).first()
        if biller is None:
            raise BillServiceNotFoundError(details={"service": slug})
        cache.set(key, biller, CATALOG_CACHE_TTL)
    return biller


def list_variations(*, slug: str) -> list[BillVariation]:
    """An active biller's active plans or bouquets, cheapest first."""
    if len(slug) > SLUG_LENGTH:
        raise BillServiceNotFoundError(details={"service": slug[:SLUG_LENGTH]})
    key = _catalog_key("variations", slug)
    variations: list[BillVariation] | None = cache.get(key)
    if variations is None:
        biller = get_biller(slug=slug)
        variations = list(BillVariation.objects.filter(biller_id=biller.pk, active=True).order_by("amount", "code"))
        cache.set(key, variations, CATALOG_CACHE_TTL)
    return variations


def get_variation(*, slug: str, code: str) -> BillVariation:
    variation = next((v for v in list_variations(slug=slug) if v.code == code), None)
    if variation is None:
        raise BillServiceNotFoundError("No such plan or bouquet for this service.", details={"variation": code})
    return variation


# --- a user's orders and beneficiaries ------------------------------------------------------------------------


def orders_of(*, user_id: uuid.UUID) -> QuerySet[BillOrder]:
    """The user's bill orders, newest first, with what their rows show (service, category, plan)."""
    return (
        BillOrder.objects.filter(user_id=user_id)
        .select_related("biller__category", "variation")
        .order_by("-created_at", "-pk")
    )


def order_of(*, user_id: uuid.UUID, order_id: uuid.UUID | str) -> BillOrder:
    """One of the user's orders; another user's is "not found", never "forbidden"."""
    order = orders_of(user_id=user_id).filter(pk=order_id).first()
    if order is None:
        raise BillOrderNotFoundError(details={"order": str(order_id)})
    return order


def beneficiaries_of(*, user_id: uuid.UUID) -> QuerySet[Beneficiary]:
    return Beneficiary.objects.filter(user_id=user_id).select_related("biller__category").order_by("label", "pk")


def beneficiary_of(*, user_id: uuid.UUID, beneficiary_id: int) -> Beneficiary:
    beneficiary = beneficiaries_of(user_id=user_id).filter(pk=beneficiary_id).first()
    if beneficiary is None:
        raise BeneficiaryNotFoundError(details={"beneficiary": beneficiary_id})
    return beneficiary
