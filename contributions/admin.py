"""Finance staff's view of cycles, contributions, penalties and payouts: read-only, filterable, exportable."""

from django.contrib import admin

from contributions.models import Contribution, Cycle, Payout, Penalty
from core.admin import ReadOnlyAdmin


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ("group", "number", "due_date", "recipient", "status")
    list_filter = ("status",)
    search_fields = ("group__name", "group__id")
    list_select_related = ("group", "recipient__user")


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "membership", "slot", "amount", "due_date", "status", "settled_by", "paid_at")
    list_filter = ("status", "settled_by", "due_date")
    search_fields = ("cycle__group__name", "membership__user__email")
    list_select_related = ("cycle__group", "membership__user")


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ("contribution", "membership", "period", "amount", "status", "settled_by", "created_at")
    list_filter = ("status", "settled_by")
    search_fields = ("membership__user__email", "contribution__cycle__group__name")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "recipient", "gross_amount", "fee", "deductions", "amount", "paid_at")
    search_fields = ("cycle__group__name", "recipient__user__email")
    list_select_related = ("cycle__group", "recipient__user")
