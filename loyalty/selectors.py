"""Loyalty reads. Each takes the tenant first and filters by it, although on PostgreSQL row-level security would
hide other tenants' rows anyway: the filter keeps SQLite honest and gives the planner a literal."""

import uuid

from django.db.models import Q, QuerySet

from loyalty.errors import LoyaltyObjectNotFoundError, TenantNotFoundError
from loyalty.models import ApiKey, Customer, Tenant, TenantStaff


def tenants_of(*, user_id: uuid.UUID) -> QuerySet[Tenant]:
    """The tenants a user is staff of (what `GET loyalty/tenants/` lists)."""
    return Tenant.objects.filter(pk__in=TenantStaff.objects.filter(user_id=user_id).values("tenant_id"))


def get_tenant(*, tenant_id: uuid.UUID | str) -> Tenant:
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        raise TenantNotFoundError(details={"tenant": str(tenant_id)})
    return tenant


def staff_role(*, tenant: Tenant, user_id: uuid.UUID) -> str | None:
    """The user's role in the tenant, or None when they are not its staff."""
    return TenantStaff.objects.filter(tenant=tenant, user_id=user_id).values_list("role", flat=True).first()


def staff_of(*, tenant: Tenant) -> QuerySet[TenantStaff]:
    return TenantStaff.objects.filter(tenant=tenant).select_related("user").order_by("created_at", "pk")


def staff_member(*, tenant: Tenant, staff_id: int) -> TenantStaff:
    member = staff_of(tenant=tenant).filter(pk=staff_id).first()
    if member is None:
        raise LoyaltyObjectNotFoundError("No such staff member.", details={"staff": staff_id})
    return member


def api_keys_of(*, tenant: Tenant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(tenant=tenant).order_by("-created_at", "-pk")


def api_key_of(*, tenant: Tenant, key_pk: int) -> ApiKey:
    key = api_keys_of(tenant=tenant).filter(pk=key_pk).first()
    if key is None:
        raise LoyaltyObjectNotFoundError("No such API key.", details={"api_key": key_pk})
    return key


def customers_of(
    *, tenant: Tenant, status: str | None = None, channel: str | None = None, search: str | None = None
) -> QuerySet[Customer]:
    """A tenant's customers, newest first; `search` matches the phone or the external reference (contains)."""
    customers = Customer.objects.filter(tenant=tenant).order_by("-created_at", "-pk")
    if status:
        customers = customers.filter(status=status)
    if channel:
        customers = customers.filter(channel=channel)
    if search:
        customers = customers.filter(Q(phone__contains=search) | Q(external_ref__icontains=search))
    return customers


def customer_of(*, tenant: Tenant, customer_id: int) -> Customer:
    customer = Customer.objects.filter(tenant=tenant, pk=customer_id).first()
    if customer is None:
        raise LoyaltyObjectNotFoundError("No such customer.", details={"customer": customer_id})
    return customer


def customer_by_phone(*, tenant: Tenant, phone: str) -> Customer | None:
    return Customer.objects.filter(tenant=tenant, phone=phone).first()


def staff_roles_of(*, user_id: uuid.UUID) -> QuerySet[TenantStaff, tuple[uuid.UUID, str]]:
    """(tenant id, role) for every tenant the user is staff of."""
    return TenantStaff.objects.filter(user_id=user_id).values_list("tenant_id", "role")
