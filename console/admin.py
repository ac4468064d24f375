from django.contrib import admin

from console.models import LedgerCheckRun
from core.admin import ReadOnlyAdmin


@admin.register(LedgerCheckRun)
class LedgerCheckRunAdmin(ReadOnlyAdmin):
    """The nightly proof of the books, one row a run: read-only, written only by the task's result."""

    list_display = ("finished_at", "discrepancies", "error", "task_id")
    list_filter = ("finished_at",)
    date_hierarchy = "finished_at"
