"""Finance staff's view of loyalty, read-only. Row-level security hides every loyalty row from a transaction that
names no tenant, so each page runs (and renders) inside `all_tenants()`; a staff user who is not a superuser then
sees only the tenants they are staff of, filtered here."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.services import record_staff_action
from accounts.signed_in import signed_in_user
from core.admin import MONEY_CORRECTIONS, ReadOnlyAdmin, export_as_csv, run_correction
from loyalty.models import (
    ApiKey,
    Budget,
    Campaign,
    ConsentRecord,
    Customer,
    DailyStats,
    EndpointDelivery,
    Event,
    Issuance,
    Referral,
    Reward,
    Rule,
    Tenant,
    TenantStaff,
    Tier,
    TierChange,
    UssdSession,
    WebhookEndpoint,
    WhatsAppConversation,
    WhatsAppMessage,
)
from loyalty.rules import RuleError
from loyalty.services.rules import compiled
from loyalty.services.webhooks import redeliver
from loyalty.tenancy import all_tenants, tenant_context


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


@admin.register(DailyStats)
class DailyStatsAdmin(TenantScopedAdmin):
    list_display = (
        "day",
        "tenant",
        "events",
        "new_customers",
        "issuances",
        "redemptions",
        "budget_used",
        "computed_at",
    )
    search_fields = ("tenant__name",)
    list_select_related = ("tenant",)
    date_hierarchy = "day"


@admin.register(WhatsAppConversation)
class WhatsAppConversationAdmin(TenantScopedAdmin):
    list_display = ("wa_id", "tenant", "customer", "state", "last_inbound_at", "updated_at")
    list_filter = ("state",)
    search_fields = ("wa_id", "customer__phone", "tenant__name")
    list_select_related = ("tenant", "customer")
    date_hierarchy = "updated_at"


@admin.register(WhatsAppMessage)
class WhatsAppMessageAdmin(TenantScopedAdmin):
    list_display = ("created_at", "tenant", "conversation", "direction", "kind", "template", "status", "error")
    list_filter = ("direction", "status", "kind")
    search_fields = ("wamid", "conversation__wa_id", "tenant__name")
    list_select_related = ("tenant", "conversation")
    date_hierarchy = "created_at"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(TenantScopedAdmin):
    list_display = ("url", "tenant", "active", "disabled_reason", "events", "previous_secret_until", "created_at")
    list_filter = ("active",)
    search_fields = ("url", "description", "tenant__name")
    list_select_related = ("tenant",)
    exclude = ("secret", "previous_secret")


@admin.register(EndpointDelivery)
class EndpointDeliveryAdmin(TenantScopedAdmin):
    list_display = (
        "id",
        "tenant",
        "endpoint",
        "message",
        "state",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "next_attempt_at",
        "succeeded_at",
        "created_at",
    )
    list_filter = ("state", "message__event_type", "last_status_code")
    search_fields = ("message__msg_id", "endpoint__url", "tenant__name")
    list_select_related = ("tenant", "endpoint", "message")
    date_hierarchy = "created_at"
    actions = [export_as_csv, "redeliver_selected"]

    @admin.action(description="Redeliver selected (asks for a reason)", permissions=["view"])
    def redeliver_selected(self, request: HttpRequest, queryset: QuerySet[EndpointDelivery]) -> HttpResponse | None:
        staff = signed_in_user(request)

        def again(delivery: EndpointDelivery, data: dict[str, Any]) -> str:
            with transaction.atomic(), tenant_context(delivery.tenant_id):
                redeliver(tenant=delivery.tenant, delivery=delivery)
                record_staff_action(
                    actor=staff,
                    action="loyalty.webhook_redeliver",
                    target=delivery,
                    reason=data["reason"],
                    request=request,
                    details={"endpoint": delivery.endpoint_id, "msg_id": delivery.message.msg_id},
                )
            return "queued for a fresh attempt."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS, "loyalty.change_endpointdelivery"],
            title="Redeliver webhooks",
            explanation=(
                "Each delivery gets one fresh attempt now, dead ones too, signed as before with the same webhook-id. "
                "A delivery whose endpoint is switched off is refused."
            ),
            button="Redeliver",
            apply=again,
        )


@admin.register(Tier)
class TierAdmin(TenantScopedAdmin):
    list_display = ("name", "tenant", "threshold", "created_at")
    search_fields = ("name", "tenant__name")
    list_select_related = ("tenant",)


@admin.register(TierChange)
class TierChangeAdmin(TenantScopedAdmin):
    list_display = ("customer", "tenant", "from_tier", "to_tier", "total", "at")
    search_fields = ("customer__phone", "tenant__name")
    list_select_related = ("tenant", "customer", "from_tier", "to_tier")
    date_hierarchy = "at"


@admin.register(Referral)
class ReferralAdmin(TenantScopedAdmin):
    list_display = ("id", "tenant", "referrer", "referee", "status", "reason", "created_at", "rewarded_at")
    list_filter = ("status",)
    search_fields = ("referrer__phone", "referee__phone", "tenant__name")
    list_select_related = ("tenant", "referrer", "referee")
    date_hierarchy = "created_at"


@admin.register(ConsentRecord)
class ConsentRecordAdmin(TenantScopedAdmin):
    list_display = ("customer", "tenant", "channel", "granted", "source", "recorded_at")
    list_filter = ("channel", "granted")
    search_fields = ("customer__phone", "tenant__name")
    list_select_related = ("tenant", "customer")
    date_hierarchy = "recorded_at"


@admin.register(UssdSession)
class UssdSessionAdmin(TenantScopedAdmin):
    list_display = (
        "session_id",
        "tenant",
        "phone",
        "customer",
        "screen",
        "language",
        "inputs_seen",
        "started_at",
        "updated_at",
        "ended_at",
    )
    list_filter = ("screen", "language")
    search_fields = ("session_id", "phone", "tenant__name")
    list_select_related = ("tenant", "customer")
    date_hierarchy = "started_at"
