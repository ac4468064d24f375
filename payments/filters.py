from collections.abc import Iterator
from datetime import UTC, date, datetime

import django_filters
from django import forms
from django.utils.choices import BaseChoiceIterator
from drf_spectacular.utils import extend_schema_field

from core.money import CURRENCY_CHOICES
from payments.entry_status import entry_status_choices
from payments.models import LedgerEntry, TransactionKind, WithdrawalStatus


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 moment between the years 2000 and 2100: outside them a time zone shift overflows the date."""

    def to_python(self, value: str | datetime | date | None) -> datetime | None:
        moment = super().to_python(value)
        if moment is not None and not 2000 <= moment.year <= 2100:
            raise forms.ValidationError("Give a moment between the years 2000 and 2100.", code="out_of_range")
        # in UTC: PostgreSQL takes no offset beyond ±15:59, and ISO 8601 lets a client write "+19:27"
        return moment.astimezone(UTC) if moment is not None and moment.tzinfo is not None else moment


# the years 2001 to 2099 in the schema: a moment in 2000 or 2100 is taken only if it stays in its year once
# converted to the server's time zone
@extend_schema_field({"type": "string", "format": "date-time", "pattern": r"^20(0[1-9]|[1-9][0-9])-"})
class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class _EntryStatuses(BaseChoiceIterator):
    """A wallet row's statuses, read when a form is built or the schema generated (once every app has registered
    its own in `payments.entry_status`), and never before."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        seen: dict[str, str] = {}
        for value, label in [("completed", "Completed"), *WithdrawalStatus.choices, *entry_status_choices()]:
            seen.setdefault(value, label)
        return iter(seen.items())


class WalletEntryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=TransactionKind.choices)
    currency = django_filters.ChoiceFilter(field_name="account__currency", choices=CURRENCY_CHOICES)
    status = django_filters.ChoiceFilter(
        choices=_EntryStatuses(),
        help_text="`processing` finds withdrawals still on their way, `pending` bill orders not yet delivered.",
    )
    created_after = BoundedIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="lt")

    class Meta:
        model = LedgerEntry
        fields = ["kind", "currency", "status", "created_after", "created_before"]
