"""The finance-staff face: the catalog and orders, read-only (they change through the sync and the order flow)."""

from django.contrib import admin

from billpay.models import BillCategory, Biller, BillOrder, BillVariation
from core.admin import ReadOnlyAdmin


@admin.register(BillCategory)
class BillCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "provider_identifier", "position")


@admin.register(Biller)
class BillerAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "category", "service_id", "meter_type", "min_amount", "max_amount", "active")
    list_filter = ("category", "active")
    search_fields = ("slug", "name", "service_id")


@admin.register(BillVariation)
class BillVariationAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "biller", "amount", "fixed_price", "active")
    list_filter = ("active", "biller__category")
    search_fields = ("code", "name", "biller__slug")
    list_select_related = ("biller",)


@admin.register(BillOrder)
class BillOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "request_id",
        "user",
        "biller",
        "customer_id",
        "amount",
        "currency",
        "status",
        "attempts",
        "created_at",
        "flagged_at",
    )
    list_filter = ("status", "biller__category", ("flagged_at", admin.EmptyFieldListFilter))
    search_fields = ("request_id", "customer_id", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user", "biller")
