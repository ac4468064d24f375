import django_filters
from django.db.models import QuerySet

from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="`true`: only unread; `false`: only read.",
    )

    class Meta:
        model = Notification
        fields = ["unread", "category"]

    def filter_unread(self, queryset: QuerySet[Notification], name: str, value: str) -> QuerySet[Notification]:
        return queryset.filter(read_at__isnull=value == "true")
