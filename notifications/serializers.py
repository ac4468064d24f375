from datetime import time
from typing import Any

from rest_framework import serializers

from core.fields import TimeZoneField
from notifications.catalog import Category
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    data = serializers.JSONField(  # type: ignore[assignment]  # a field named like Serializer.data, on purpose
        source="context", help_text="What the message was written from (ids, amounts)."
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "category",
            "type",
            "priority",
            "title",
            "body",
            "link",
            "data",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=500,
        help_text="These notifications; another user's ids are ignored.",
    )
    all = serializers.BooleanField(required=False, default=False, help_text="Every unread one (`ids` is then moot).")


class MarkedSerializer(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class UnreadCountSerializer(serializers.Serializer[Any]):
    unread = serializers.IntegerField()


class ChannelsSerializer(serializers.Serializer[Any]):
    push = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)


HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class QuietHoursSerializer(serializers.Serializer[Any]):
    starts = serializers.RegexField(HOUR_MINUTE, help_text="HH:MM, e.g. 22:00")
    ends = serializers.RegexField(HOUR_MINUTE, help_text="HH:MM, e.g. 06:00; before `starts` spans midnight")
    time_zone = TimeZoneField(required=False, default="Africa/Nairobi")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["starts"] == attrs["ends"]:
            raise serializers.ValidationError({"ends": ["Quiet hours must end at another time than they start."]})
        return {
            **attrs,
            "starts": time.fromisoformat(attrs["starts"]),
            "ends": time.fromisoformat(attrs["ends"]),
        }


SWITCHABLE = [category for category in Category.values if category != Category.SECURITY]


class CategoriesSerializer(serializers.Serializer[Any]):
    """Every category's channels; `security` always all on."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {category: ChannelsSerializer(help_text=Category(category).label) for category in Category.values}


class CategoriesChangeSerializer(serializers.Serializer[Any]):
    """The categories to change; `security` cannot be switched off, so it is not here."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            category: ChannelsSerializer(required=False, help_text=Category(category).label) for category in SWITCHABLE
        }


class PreferencesSerializer(serializers.Serializer[Any]):
    categories = CategoriesSerializer(
        help_text="Per category: which of push, sms and email to use. The in-app list always shows everything."
    )
    quiet_hours = QuietHoursSerializer(
        allow_null=True, help_text="No push or SMS in these hours (they wait until the end); `null` for none."
    )


class PreferencesChangeSerializer(serializers.Serializer[Any]):
    categories = CategoriesChangeSerializer(
        required=False, help_text="Only the categories and channels given change; security messages always go."
    )
    quiet_hours = QuietHoursSerializer(allow_null=True, required=False, help_text="`null` clears them.")
