"""Finance staff's view of the books: everything here is read-only; money moves only through services."""

from django.contrib import admin

from payments.models import IdempotencyRecord, LedgerAccount, LedgerEntry, LedgerTransaction, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount", "balance_after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "currency", "owner_type", "owner_id", "code", "is_guarded", "balance")
    list_filter = ("kind", "currency", "is_guarded")
    search_fields = ("owner_id", "code")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "reference", "memo", "created_at", "reverses")
    list_filter = ("kind", "created_at")
    search_fields = ("reference", "idempotency_key", "memo")
    date_hierarchy = "created_at"
    inlines = [EntryInline]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "sender", "recipient", "amount", "currency", "status", "created_at")
    list_filter = ("status", "currency", "created_at")
    search_fields = ("id", "sender__email", "recipient__email", "note")
    list_select_related = ("sender", "recipient")
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "method", "path", "response_status", "created_at", "expires_at")
    search_fields = ("key", "user__email")
