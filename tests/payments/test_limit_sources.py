"""The daily limit's statement is built once per set of registered sources, with the user, currency and moment as
parameters; a source that uses them in a form the statement cannot replay is refused, not silently frozen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import Transfer
from payments.services import limits, post_transfer
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


def sent_by(user, currency, since):
    return Transfer.objects.filter(sender=user, currency=currency, created_at__gte=since)


def sent_on_the_day_of(user, currency, since):
    return Transfer.objects.filter(sender=user, currency=currency, created_at__date__gte=since.date())


def sent_in_a_currency_like(user, currency, since):
    return Transfer.objects.filter(sender=user, currency__startswith=currency[:1], created_at__gte=since)


@pytest.mark.parametrize("source", [sent_on_the_day_of, sent_in_a_currency_like])
def test_a_source_that_reshapes_its_arguments_is_refused(source):
    with pytest.raises(ValueError, match=r"cannot be replayed|changes with"):
        limits._sent_today_statement((source,))


def test_a_registered_source_is_summed_for_each_user_currency_and_moment(monkeypatch):
    monkeypatch.setattr(limits, "_outgoing_sources", limits.Registry("outgoing payments source"))
    limits.register_outgoing_source("again", sent_by)  # transfers counted twice: once as themselves, once here
    amina, chidi, recipient = UserFactory(), UserFactory(), UserFactory()
    for sender, amount in ((amina, "10.00"), (chidi, "3.00")):
        fund_wallet(sender, "100.00")
        post_transfer(sender=sender, recipient=recipient, amount=Decimal(amount), currency="KES")
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    assert limits._sent_today(user=amina, currency="KES", since=today) == Decimal("20.00")
    assert limits._sent_today(user=chidi, currency="KES", since=today) == Decimal("6.00")
    assert limits._sent_today(user=chidi, currency="NGN", since=today) == Decimal("0")
    assert limits._sent_today(user=amina, currency="KES", since=timezone.now() + timedelta(minutes=1)) == 0
