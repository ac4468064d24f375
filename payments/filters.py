import django_filters

from payments.models import LedgerEntry, TransactionKind, WithdrawalStatus
from payments.money import CURRENCY_CHOICES


class WalletEntryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=TransactionKind.choices)
    currency = django_filters.ChoiceFilter(field_name="account__currency", choices=CURRENCY_CHOICES)
    status = django_filters.ChoiceFilter(
        choices=[("completed", "Completed"), *WithdrawalStatus.choices],
        help_text="`processing` finds withdrawals still on their way.",
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="lt")

    class Meta:
        model = LedgerEntry
        fields = ["kind", "currency", "status", "created_after", "created_before"]
