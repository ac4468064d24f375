from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import django_filters
from django import forms
from django.utils.choices import BaseChoiceIterator
from drf_spectacular.utils import extend_schema_field

from core.money import CURRENCY_CHOICES
from payments.entry_status import entry_status_choices
from payments.models import (
    Charge,
    ChargeStatus,
    LedgerEntry,
    TransactionKind,
    Transfer,
    Withdrawal,
    WithdrawalStatus,
)


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


class StableOrderingFilter(django_filters.OrderingFilter):
    """`?ordering=date`, `-amount`, or several comma-separated; ties (the entries of one posting, or of one database
    transaction, share their moment) by id in the first key's direction, so a page never repeats or skips a row and
    `date` reads in the order things happened."""

    def filter(self, qs: Any, value: Any) -> Any:
        params = [param for param in value or () if param]
        if not params:
            return qs
        tie_break = "-pk" if params[0].startswith("-") else "pk"
        return qs.order_by(*(self.get_ordering_value(param) for param in params), tie_break)


ORDERING_HELP = "Sort by `date` or `amount` (`-` first for descending; several comma-separated). Default: newest first."


class WalletEntryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="transaction__kind", choices=TransactionKind.choices)
    currency = django_filters.ChoiceFilter(field_name="account__currency", choices=CURRENCY_CHOICES)
    status = django_filters.ChoiceFilter(
        choices=_EntryStatuses(),
        help_text="`processing` finds withdrawals still on their way, `pending` bill orders not yet delivered.",
    )
    created_after = BoundedIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="transaction__created_at", lookup_expr="lt")
    ordering = StableOrderingFilter(
        fields=(("transaction__created_at", "date"), ("amount", "amount")),
        help_text=f"{ORDERING_HELP} `amount` is signed: money in is positive.",
    )

    class Meta:
        model = LedgerEntry
        fields = ["kind", "currency", "status", "created_after", "created_before"]


class WithdrawalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WithdrawalStatus.choices)
    currency = django_filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    ordering = StableOrderingFilter(fields=(("created_at", "date"), ("amount", "amount")), help_text=ORDERING_HELP)

    class Meta:
        model = Withdrawal
        fields = ["status", "currency"]


class DepositFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChargeStatus.choices)
    currency = django_filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    ordering = StableOrderingFilter(fields=(("created_at", "date"), ("amount", "amount")), help_text=ORDERING_HELP)

    class Meta:
        model = Charge
        fields = ["status", "currency"]


class TransferFilter(django_filters.FilterSet):
    currency = django_filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    ordering = StableOrderingFilter(fields=(("created_at", "date"), ("amount", "amount")), help_text=ORDERING_HELP)

    class Meta:
        model = Transfer
        fields = ["currency"]
