"""Reads of a user's notifications."""

from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from notifications.models import Notification


def notifications_of(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    rows = Notification.objects.filter(user=user, shown_in_app=True)
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, shown_in_app=True, read_at__isnull=True).count()


def notification_payload(notification: Notification) -> dict[str, Any]:
    """A notification as the API and the websocket show it."""
    return {
        "id": notification.pk,
        "event": notification.event,
        "category": notification.category,
        "type": notification.type,
        "priority": notification.priority,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "data": notification.context,
        "created_at": notification.created_at.isoformat().replace("+00:00", "Z") if notification.created_at else None,
        "read_at": notification.read_at.isoformat().replace("+00:00", "Z") if notification.read_at else None,
    }


def notifications_after(*, user_id: Any, after_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """What the websocket has not pushed yet, oldest first (its poll when the channel layer is in-process)."""
    rows = Notification.objects.filter(user_id=user_id, shown_in_app=True, pk__gt=after_id).order_by("id")[:limit]
    return [notification_payload(row) for row in rows]


def latest_notification_id(*, user_id: Any) -> int:
    """The user's greatest notification id, 0 for none: where a new socket starts watching."""
    return Notification.objects.filter(user_id=user_id).order_by("-id").values_list("id", flat=True).first() or 0
