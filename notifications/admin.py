"""Staff see every notification and delivery, read-only, with secrets never shown; "resend" puts selected
deliveries back in the queue (needs the change permission on deliveries), with a reason kept in the audit log."""

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.services import record_staff_action
from accounts.signed_in import signed_in_user
from core.admin import ReadOnlyAdmin, export_as_csv, run_correction
from core.errors import ConflictError
from notifications.models import ChannelPreference, Delivery, Notification, QuietHours
from notifications.services import resend

RESEND_PERMISSION = "notifications.change_delivery"


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "status", "attempts", "provider", "provider_id", "error", "send_after", "sent_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "event", "category", "type", "title", "read_at", "dispatched_at")
    list_filter = ("category", "type", "event", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "user__phone_number", "title", "dedupe_key")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    exclude = ("sealed_context",)
    inlines = [DeliveryInline]
    actions = [export_as_csv]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "event", "recipient", "status", "attempts", "provider", "sent_at")
    list_filter = ("status", "channel", "provider", "event")
    search_fields = ("notification__user__email", "notification__user__phone_number", "address", "provider_id")
    date_hierarchy = "created_at"
    list_select_related = ("notification__user",)
    exclude = ("sealed_context",)
    actions = [export_as_csv, "resend_selected"]

    @admin.display(description="to")
    def recipient(self, delivery: Delivery) -> str:
        return str(delivery.notification.user) if delivery.notification else delivery.address

    @admin.action(description="Resend selected deliveries (asks for a reason)", permissions=["view"])
    def resend_selected(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> HttpResponse | None:
        staff = signed_in_user(request)

        def send_again(delivery: Delivery, data: dict[str, Any]) -> str:
            with transaction.atomic():
                if not resend(delivery_id=delivery.pk):
                    raise ConflictError("It is being sent right now.")
                record_staff_action(
                    actor=staff, action="delivery.resend", target=delivery, reason=data["reason"], request=request
                )
            return "queued to send again."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[RESEND_PERMISSION],
            title="Resend deliveries",
            explanation="Each goes again now, whatever became of it (the member may get it twice).",
            button="Resend deliveries",
            apply=send_again,
        )


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "category", "push", "sms", "email")
    list_filter = ("category",)
    search_fields = ("user__email",)
    list_select_related = ("user",)


@admin.register(QuietHours)
class QuietHoursAdmin(ReadOnlyAdmin):
    list_display = ("user", "starts", "ends", "time_zone")
    search_fields = ("user__email",)
    list_select_related = ("user",)
