"""Finance staff see groups and their members; changes go through the API's services, so the admin is read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdmin
from groups.models import GroupMessage, Meeting, Membership, SavingsGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "status", "slots", "dues_paid_at", "deposit_paid", "registration_fee_paid")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.display(description="Health")
def health_link(group: SavingsGroup) -> str:
    """The staff console's group health page (console/sites.py names it; a URL name, not an import)."""
    return format_html('<a href="{}">Health</a>', reverse("admin:group_health", args=[group.pk]))


@admin.register(SavingsGroup)
class SavingsGroupAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "kind",
        "currency",
        "contribution_amount",
        "frequency",
        "status",
        "time_zone",
        "created_at",
        health_link,  # a callable, not a name: the CSV export leaves it out
    )
    list_filter = ("kind", "status", "currency", "frequency", "payout_order", "default_policy")
    search_fields = ("name", "id", "invite_code")
    exclude = ("seed",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("group", "user", "role", "status", "slots", "joined_at", "dues_paid_at")
    list_filter = ("role", "status")
    search_fields = ("group__name", "user__email")
    list_select_related = ("group", "user")


@admin.register(GroupMessage)
class GroupMessageAdmin(ReadOnlyAdmin):
    list_display = ("group", "author", "created_at")
    search_fields = ("group__name", "author__email", "body")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("group", "scheduled_for", "place", "status")
    list_filter = ("status",)
    search_fields = ("group__name",)
