"""Finance staff's view of loyalty, read-only. Row-level security hides every loyalty row from a transaction that
names no tenant, so each page runs (and renders) inside `all_tenants()`; a staff user who is not a superuser then
sees only the tenants they are staff of, filtered here."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from core.admin import ReadOnlyAdmin
from loyalty.models import (
    ApiKey,
    Budget,
    Campaign,
    Customer,
    Event,
    Issuance,
    Reward,
    Rule,
    Tenant,
    TenantStaff,
)
from loyalty.rules import RuleError
from loyalty.services.rules import compiled
from loyalty.tenancy import all_tenants


def _seeing_all_tenants(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def run(self: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with all_tenants():
            response = view(self, request, *args, **kwargs)
            render = getattr(response, "render", None)
            if render is not None and not getattr(response, "is_rendered", True):
                render()  # the template reads the rows: inside the transaction that may see them
        return response

    return run


class TenantScopedAdmin(ReadOnlyAdmin):
    tenant_field = "tenant"

    changelist_view = _seeing_all_tenants(ReadOnlyAdmin.changelist_view)
    changeform_view = _seeing_all_tenants(ReadOnlyAdmin.changeform_view)
    history_view = _seeing_all_tenants(ReadOnlyAdmin.history_view)
    delete_view = _seeing_all_tenants(ReadOnlyAdmin.delete_view)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return queryset
        mine = TenantStaff.objects.filter(user_id=str(user.pk)).values("tenant_id")
        return queryset.filter(**{f"{self.tenant_field}__in": mine})


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    tenant_field = "pk"
    list_display = ("name", "currency", "time_zone", "auto_enrol", "created_by", "created_at")
    search_fields = ("name", "display_name")
    list_select_related = ("created_by",)


@admin.register(TenantStaff)
class TenantStaffAdmin(TenantScopedAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "tenant__name")
    list_select_related = ("user", "tenant")


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    list_display = ("key_id", "tenant", "name", "created_at", "revoked_at", "last_used_at")
    search_fields = ("key_id", "tenant__name")
    list_select_related = ("tenant",)
    exclude = ("secret",)


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = ("phone", "tenant", "external_ref", "status", "channel", "points", "created_at")
    list_filter = ("status", "channel")
    search_fields = ("phone", "external_ref", "tenant__name")
    list_select_related = ("tenant",)
    date_hierarchy = "created_at"


@admin.register(Event)
class EventAdmin(TenantScopedAdmin):
    list_display = ("event_type", "tenant", "customer", "idempotency_key", "occurred_at", "received_at")
    list_filter = ("event_type",)
    search_fields = ("idempotency_key", "customer__phone", "tenant__name")
    list_select_related = ("tenant", "customer")
    date_hierarchy = "received_at"


@admin.register(Campaign)
class CampaignAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "status", "starts_at", "ends_at")
    list_filter = ("status",)
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)


@admin.register(Budget)
class BudgetAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "currency", "total_amount", "period", "hard_cap", "soft_cap_threshold")
    list_filter = ("period", "hard_cap")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)


@admin.register(Reward)
class RewardAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "reward_type", "value", "cost", "budget", "stock", "active")
    list_filter = ("reward_type", "active")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant", "budget")


@admin.register(Rule)
class RuleAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "reward", "priority", "active", "stop_processing", "version", "updated_at")
    list_filter = ("active", "stop_processing")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant", "reward")
    readonly_fields = ("compiled_form",)

    @admin.display(description="Compiled form (what each event evaluates, and the features it reads)")
    def compiled_form(self, rule: Rule) -> str:
        try:
            found = compiled(rule)
        except RuleError as exc:  # saved before a validation rule it now breaks
            return f"does not compile: {exc.message}"
        return f"{found!r}\nfeatures: {found.features}"


@admin.register(Issuance)
class IssuanceAdmin(TenantScopedAdmin):
    list_display = ("id", "tenant", "customer", "reward", "state", "cost", "code", "expires_at", "created_at")
    list_filter = ("state",)
    search_fields = ("code", "customer__phone", "tenant__name")
    list_select_related = ("tenant", "customer", "reward")
    date_hierarchy = "created_at"
