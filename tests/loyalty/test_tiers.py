"""Tiers: up at once on the period's points or spend; down by the tenant's policy (at once, after the grace days,
never), by the daily review with no event; a rule on `customer.tier`; the tier API, its conflicts and another
tenant's ids not found."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from loyalty import jobs
from loyalty.models import Customer, Issuance, TierChange
from loyalty.services.events import ingest_event
from loyalty.services.rules import create_rule
from loyalty.services.tiers import create_tier, period_total, review_tier
from tests.factories import UserFactory
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within
from tests.loyalty.test_events_api import Shop

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def points_shop(**settings):
    """A tenant whose every purchase earns 50 points, with Silver at 50 and Gold at 100 points."""
    tenant = make_tenant(tier_period_days=30, **settings)
    budget = make_budget(tenant)
    points = make_reward(tenant, budget, name="50 points", reward_type="points", discount_kind="", value="50")
    with within(tenant):
        create_rule(tenant=tenant, name="Every purchase", conditions={"==": [1, 1]}, reward_id=points.pk)
        silver = create_tier(tenant=tenant, name="Silver", threshold="50")
        gold = create_tier(tenant=tenant, name="Gold", threshold="100")
    return tenant, silver, gold


def purchase(tenant, customer, amount=10, event_type="purchase"):
    with within(tenant):
        return ingest_event(
            tenant=tenant,
            actor="user:test",
            customer=customer.pk,
            event_type=event_type,
            event_data={"amount": amount},
            idempotency_key=uuid.uuid4().hex,
        ).event


def fresh(tenant, customer) -> Customer:
    with within(tenant):
        return Customer.objects.select_related("tier").get(pk=customer.pk)


def test_points_lift_a_customer_tier_by_tier_with_history():
    tenant, silver, gold = points_shop()
    customer = make_customer(tenant)
    purchase(tenant, customer)
    assert fresh(tenant, customer).tier_id == silver.pk
    purchase(tenant, customer)
    assert fresh(tenant, customer).tier_id == gold.pk
    with within(tenant):
        changes = list(TierChange.objects.filter(customer=customer).order_by("at", "pk"))
    assert [(c.from_tier_id, c.to_tier_id, c.total) for c in changes] == [
        (None, silver.pk, Decimal(50)),
        (silver.pk, gold.pk, Decimal(100)),
    ]


def test_spend_basis_counts_purchase_amounts_only():
    tenant = make_tenant(tier_basis="spend")
    with within(tenant):
        gold = create_tier(tenant=tenant, name="Gold", threshold="500")
    customer = make_customer(tenant)
    purchase(tenant, customer, amount=300)
    purchase(tenant, customer, amount=900, event_type="refund")  # not spend
    purchase(tenant, customer, amount="lots")  # not a number
    assert fresh(tenant, customer).tier_id is None
    purchase(tenant, customer, amount=250.5)
    assert fresh(tenant, customer).tier_id == gold.pk
    with within(tenant):
        assert period_total(tenant=tenant, customer=customer, at=START + timedelta(days=3650)) == Decimal(0)


def gold_customer(tenant):
    customer = make_customer(tenant)
    with time_machine.travel(START, tick=False):
        purchase(tenant, customer)
        purchase(tenant, customer)
    return customer


def test_immediate_downgrade_by_the_daily_review_once_the_period_passes():
    tenant, _, gold = points_shop(tier_downgrade="immediate")
    customer = gold_customer(tenant)
    with time_machine.travel(START + timedelta(days=29), tick=False):
        assert jobs.review_tiers() == 0
    assert fresh(tenant, customer).tier_id == gold.pk
    with time_machine.travel(START + timedelta(days=31), tick=False):
        assert jobs.review_tiers() == 1
        assert jobs.review_tiers() == 0  # twice is harmless
    after = fresh(tenant, customer)
    assert after.tier_id is None and after.below_tier_since is None
    with within(tenant):
        assert TierChange.objects.filter(customer=customer, to_tier=None, from_tier=gold).count() == 1


def test_grace_downgrade_waits_the_grace_days_and_an_event_back_above_clears_it():
    tenant, _, gold = points_shop(tier_downgrade="grace", tier_grace_days=10)
    customer = gold_customer(tenant)
    below_at = START + timedelta(days=31)
    with time_machine.travel(below_at, tick=False):
        jobs.review_tiers()
    held = fresh(tenant, customer)
    assert held.tier_id == gold.pk and held.below_tier_since == below_at
    with time_machine.travel(below_at + timedelta(days=9), tick=False):
        jobs.review_tiers()
    assert fresh(tenant, customer).tier_id == gold.pk
    with time_machine.travel(below_at + timedelta(days=10), tick=False):
        assert jobs.review_tiers() == 1
    assert fresh(tenant, customer).tier_id is None

    # back to Gold, below again, then back above within the grace: the note is cleared, the tier kept
    other = gold_customer(tenant)
    with time_machine.travel(below_at, tick=False):
        jobs.review_tiers()
    assert fresh(tenant, other).below_tier_since is not None
    with time_machine.travel(below_at + timedelta(days=2), tick=False):
        purchase(tenant, other)
        purchase(tenant, other)
    back = fresh(tenant, other)
    assert back.tier_id == gold.pk and back.below_tier_since is None


def test_never_downgrade_keeps_the_tier():
    tenant, _, gold = points_shop(tier_downgrade="never")
    customer = gold_customer(tenant)
    with time_machine.travel(START + timedelta(days=400), tick=False):
        assert jobs.review_tiers() == 0
        with within(tenant):
            review_tier(tenant=tenant, customer=customer)
    kept = fresh(tenant, customer)
    assert kept.tier_id == gold.pk and kept.below_tier_since is None


def test_a_rule_on_customer_tier_issues_only_to_gold_and_sees_the_tier_held_when_the_event_arrived():
    tenant = make_tenant(tier_basis="spend")
    budget = make_budget(tenant)
    gift = make_reward(tenant, budget)
    with within(tenant):
        gold = create_tier(tenant=tenant, name="Gold", threshold="500")
        create_tier(tenant=tenant, name="Bronze", threshold="100")
        create_rule(
            tenant=tenant, name="Gold gift", conditions={"==": [{"var": "customer.tier"}, "Gold"]}, reward_id=gift.pk
        )
        create_rule(
            tenant=tenant, name="Rank two", conditions={"==": [{"var": "customer.tier_rank"}, 2]}, reward_id=gift.pk
        )
    plain = make_customer(tenant)
    rising = make_customer(tenant)
    first = purchase(tenant, plain, amount=10)
    lifted = purchase(tenant, rising, amount=600)  # becomes Gold with this event: the rules saw no tier
    assert first.answer["issuances"] == [] and lifted.answer["issuances"] == []
    assert fresh(tenant, rising).tier_id == gold.pk
    again = purchase(tenant, rising, amount=10)
    assert len(again.answer["issuances"]) == 2  # the name and the rank (Bronze 1, Gold 2)
    with within(tenant):
        assert Issuance.objects.filter(customer=plain).count() == 0


# --- the API -----------------------------------------------------------------------------------------------------


@pytest.fixture
def shop():
    return Shop()


def test_tier_api_create_conflicts_roles_and_another_tenants_ids(shop):
    silver = shop.ok(shop.post("tiers/", {"name": "Silver", "threshold": "100", "benefits": "Free delivery"}), 201)
    shop.ok(shop.post("tiers/", {"name": "Gold", "threshold": "500"}), 201)
    assert shop.post("tiers/", {"name": "Silver", "threshold": "300"}).status_code == 409
    taken = shop.post("tiers/", {"name": "Platinum", "threshold": "500.00"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
    assert shop.post("tiers/", {"name": "Zero", "threshold": "0"}).status_code == 400
    assert [t["name"] for t in shop.ok(shop.get("tiers/"))] == ["Silver", "Gold"]
    changed = shop.client.patch(shop.url + f"tiers/{silver['id']}/", {"threshold": "150"}, format="json")
    assert shop.ok(changed)["threshold"] == "150.00"

    viewer = UserFactory()
    shop.ok(shop.post("staff/", {"email": viewer.email, "role": "viewer"}), 201)
    as_viewer = APIClient()
    as_viewer.force_authenticate(user=viewer)
    assert as_viewer.get(shop.url + "tiers/").status_code == 200
    assert as_viewer.post(shop.url + "tiers/", {"name": "X", "threshold": "9"}, format="json").status_code == 403

    other = Shop()
    assert other.get(f"tiers/{silver['id']}/").status_code == 404
    assert other.client.delete(other.url + f"tiers/{silver['id']}/").status_code == 404
    assert shop.get(f"tiers/{silver['id']}/").status_code == 200


def test_customer_tier_api_shows_total_next_tier_missing_and_history(shop):
    shop.client.patch(shop.url, {"tier_basis": "spend"}, format="json")
    silver = shop.ok(shop.post("tiers/", {"name": "Silver", "threshold": "100"}))
    shop.ok(shop.post("tiers/", {"name": "Gold", "threshold": "500"}))
    customer = shop.ok(shop.post("customers/", {"phone": "+263771234500"}))
    shop.ok(shop.event(customer=str(customer["id"]), amount=120))
    body = shop.ok(shop.get(f"customers/{customer['id']}/tier/"))
    assert body["tier"]["name"] == "Silver" and body["tier_basis"] == "spend"
    assert body["total"] == "120.00" and body["next_tier"]["name"] == "Gold" and body["missing"] == "380.00"
    assert [(h["from_tier"], h["to_tier"]) for h in body["history"]] == [(None, "Silver")]
    assert shop.ok(shop.get(f"customers/{customer['id']}/"))["tier"] == "Silver"

    # deleting a tier its customers hold moves them down (here: to none), with a history line
    assert shop.client.delete(shop.url + f"tiers/{silver['id']}/").status_code == 204
    body = shop.ok(shop.get(f"customers/{customer['id']}/tier/"))
    assert body["tier"] is None and body["history"][0]["from_tier"] is None  # the deleted tier's name is gone
    assert Shop().get(f"customers/{customer['id']}/tier/").status_code == 404


def test_tier_settings_through_the_tenant_patch(shop):
    changed = shop.ok(
        shop.client.patch(
            shop.url,
            {"tier_basis": "spend", "tier_period_days": 90, "tier_downgrade": "never", "tier_grace_days": 0},
            format="json",
        )
    )
    assert (changed["tier_basis"], changed["tier_period_days"], changed["tier_downgrade"]) == ("spend", 90, "never")
    bad = shop.client.patch(shop.url, {"tier_downgrade": "sometimes"}, format="json")
    assert bad.status_code == 400
