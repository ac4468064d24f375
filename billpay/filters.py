import django_filters
from django.db.models import QuerySet

from billpay.models import PUBLIC_STATUS, BillOrder, CategoryCode

OUTCOMES = [("pending", "Pending"), ("delivered", "Delivered"), ("failed", "Failed"), ("reversed", "Reversed")]


class BillOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OUTCOMES, method="filter_status")
    service = django_filters.CharFilter(field_name="biller__slug", help_text="A service's `id`, e.g. `mtn`.")
    category = django_filters.ChoiceFilter(field_name="biller__category__code", choices=CategoryCode.choices)

    class Meta:
        model = BillOrder
        fields = ["status", "service", "category"]

    def filter_status(self, queryset: QuerySet[BillOrder], name: str, value: str) -> QuerySet[BillOrder]:
        return queryset.filter(status__in=[status for status, shown in PUBLIC_STATUS.items() if shown == value])
