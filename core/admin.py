"""Admin bases every app's finance-staff pages share (read-only lists, with a CSV export), and the inbound
webhooks' records."""

import csv
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from core.models import ProcessedEvent, WebhookDelivery

if TYPE_CHECKING:
    # django-stubs makes ModelAdmin generic in its model; Django's class is not subscriptable at runtime.
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


@admin.action(description="Export selected as CSV")
def export_as_csv(modeladmin: _ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
    # The columns that name a field or attribute (every list_display here does; a callable column has no name).
    fields = [f for f in modeladmin.list_display if isinstance(f, str) and f != "__str__"]
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{modeladmin.model._meta.model_name}s.csv"'
    writer = csv.writer(response)
    writer.writerow(fields)
    for obj in queryset:
        writer.writerow([getattr(obj, field) for field in fields])
    return response


class ReadOnlyAdmin(_ModelAdmin):
    actions = [export_as_csv]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "provider", "signature_valid", "outcome", "received_at")
    list_filter = ("provider", "signature_valid", "outcome")
    search_fields = ("body",)
    date_hierarchy = "received_at"


@admin.register(ProcessedEvent)
class ProcessedEventAdmin(ReadOnlyAdmin):
    list_display = ("provider", "event_id", "outcome", "processed_at")
    search_fields = ("event_id",)
