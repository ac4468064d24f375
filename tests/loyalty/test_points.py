"""Points: the balance, spending (never below zero), and expiry first in, first out."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from loyalty.errors import InsufficientPointsError, LoyaltyInputError
from loyalty.jobs import expire_points as expire_points_job
from loyalty.models import Customer, PointsEntry
from loyalty.services.points import credit_points, expire_points, points_balance, spend_points
from tests.loyalty.conftest import make_customer, make_tenant, within

DAY0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(days: int):
    return time_machine.travel(DAY0 + timedelta(days=days), tick=False)


def earn(tenant, customer, amount: int) -> None:
    with within(tenant):
        credit_points(tenant=tenant, customer=customer, amount=amount, reason="purchase")


def spend(tenant, customer, amount: int) -> None:
    with within(tenant):
        spend_points(tenant=tenant, customer=customer, amount=amount, reason="coffee", actor="user:till")


def expire(tenant) -> int:
    with within(tenant):
        return expire_points(tenant=tenant, now=datetime.now(UTC))


def balance(tenant, customer) -> int:
    with within(tenant):
        value = points_balance(tenant=tenant, customer=customer)
        assert value == sum(PointsEntry.objects.filter(customer=customer).values_list("amount", flat=True))
        return value


@pytest.fixture
def shop(db):
    return make_tenant(points_validity_days=30)


@pytest.fixture
def member(shop):
    return make_customer(shop)


def test_spending_takes_points_and_never_below_zero(shop, member):
    earn(shop, member, 100)
    spend(shop, member, 60)
    assert balance(shop, member) == 40
    with pytest.raises(InsufficientPointsError) as caught:
        spend(shop, member, 41)
    assert (caught.value.code, caught.value.status_code) == ("insufficient_points", 409)
    assert balance(shop, member) == 40
    spend(shop, member, 40)
    assert balance(shop, member) == 0


@pytest.mark.parametrize("amount", [0, -5, 1.5, True, "10"])
def test_points_are_a_positive_whole_number(shop, member, amount):
    earn(shop, member, 10)
    with pytest.raises(LoyaltyInputError):
        spend(shop, member, amount)
    with pytest.raises(LoyaltyInputError):
        earn(shop, member, amount)
    assert balance(shop, member) == 10


def test_a_reason_is_required(shop, member):
    earn(shop, member, 10)
    with pytest.raises(LoyaltyInputError), within(shop):
        spend_points(tenant=shop, customer=member, amount=1, reason=" ", actor="user:till")


def test_spent_points_come_from_the_oldest_and_the_rest_expires(shop, member):
    with at(0):
        earn(shop, member, 100)
    with at(10):
        spend(shop, member, 30)
    with at(20):
        earn(shop, member, 50)
    with at(29):
        assert expire(shop) == 0
    with at(31):  # the first 100 expire: 30 of them were spent, 70 are lost
        assert expire(shop) == 1
        assert balance(shop, member) == 50
        assert expire(shop) == 0  # twice changes nothing
    with at(45):
        spend(shop, member, 20)
    with at(51):
        assert expire(shop) == 1
    assert balance(shop, member) == 0
    with within(shop):
        expired = list(PointsEntry.objects.filter(reason="expired").order_by("pk").values_list("amount", flat=True))
    assert expired == [-70, -30]


def test_a_spend_larger_than_the_oldest_earning_eats_into_the_next(shop, member):
    with at(0):
        earn(shop, member, 100)
    with at(10):
        earn(shop, member, 100)
    with at(20):
        spend(shop, member, 150)
    with at(31):
        assert expire(shop) == 0  # the first 100 were spent in full
        assert balance(shop, member) == 50
    with at(41):
        assert expire(shop) == 1
    assert balance(shop, member) == 0


def test_only_customers_with_expired_points_lose_any(shop, member):
    fresh = make_customer(shop)
    with at(0):
        earn(shop, member, 10)
    with at(25):
        earn(shop, fresh, 10)
    with at(31):
        assert expire(shop) == 1
    assert balance(shop, member) == 0 and balance(shop, fresh) == 10


def test_the_points_job_works_through_every_tenant(shop, member):
    other = make_tenant(points_validity_days=5)
    someone = make_customer(other)
    with at(0):
        earn(shop, member, 10)
        earn(other, someone, 20)
    with at(6):
        assert expire_points_job() == 1
    with at(31):
        assert expire_points_job() == 1
        assert expire_points_job() == 0
    assert balance(shop, member) == balance(other, someone) == 0
    with within(other):
        assert Customer.objects.get(pk=someone.pk).points == 0
