"""Admin bases every app's finance-staff pages share (read-only lists, with a CSV export, and corrections that ask
for a reason on a page of their own), and the inbound webhooks' records."""

import csv
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.errors import ApplicationError
from core.models import ProcessedEvent, WebhookDelivery

# The staff roles' permissions, defined by the console (console.models.LedgerCheckRun.Meta, which owns the roles:
# console/migrations/0002_staff_groups.py). Named here as strings: core imports no app.
MONEY_CORRECTIONS = "console.run_money_corrections"
VERIFY_USERS = "console.verify_users"
SUSPEND_USERS = "console.suspend_users"

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


class ReasonForm(forms.Form):
    """Every correction's reason: kept in the staff audit log with who, when and from where."""

    reason = forms.CharField(min_length=5, max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


def may(request: HttpRequest, permissions: Iterable[str]) -> bool:
    """Whether the signed-in staff member holds any of `permissions`."""
    return any(request.user.has_perm(permission) for permission in permissions)


def run_correction(
    modeladmin: _ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    permissions: Iterable[str],
    title: str,
    explanation: str,
    button: str,
    apply: Callable[[Any, dict[str, Any]], str],
    form_class: type[forms.Form] = ReasonForm,
) -> HttpResponse | None:
    """An admin action that corrects something: refused without one of `permissions`; otherwise a page that lists
    the selected rows and asks for a reason (and whatever else `form_class` asks), and only once that form comes
    back valid, `apply(row, cleaned_data)` for each row. `apply` calls the owning app's service and writes the
    staff audit entry in one transaction, and answers what it did; a domain error stops that row alone.

    Actions are declared with `permissions=["view"]`: the money admin is read-only, so Django would hide a
    "change" action; the real check is here."""
    if not may(request, permissions):
        modeladmin.message_user(request, f"You may not {button.lower()}.", level=messages.ERROR)
        return None
    form = form_class(request.POST if "reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        for row in queryset:
            try:
                done = apply(row, form.cleaned_data)
            except ApplicationError as exc:
                modeladmin.message_user(request, f"{row}: {exc.message}", level=messages.ERROR)
            else:
                modeladmin.message_user(request, f"{row}: {done}")
        return None
    return TemplateResponse(
        request,
        "admin/confirm_correction.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "button": button,
            "rows": queryset,
            "form": form,
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
            "opts": modeladmin.model._meta,
        },
    )


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
