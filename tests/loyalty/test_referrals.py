"""Referrals: every customer has a code; the referee's first qualifying event rewards both sides once (also when
two of their events race, on PostgreSQL); a self-referral by the same device is recorded refused; an unknown code
enrols nobody; a budget that cannot pay leaves the referral pending for the next event; the books stay clean."""

import json
import time
import uuid

import pytest
from rest_framework.test import APIClient

from loyalty.models import Customer, Issuance, Referral
from loyalty.services.budgets import budget_discrepancies, create_budget
from loyalty.services.rewards import create_reward
from loyalty.services.tenants import create_api_key, create_tenant, request_signature, update_tenant
from loyalty.tenancy import all_tenants, tenant_context
from payments.selectors import ledger_discrepancies
from tests.factories import UserFactory
from tests.fixtures.threads import run_threads
from tests.loyalty.test_events_api import Shop

REFERRER_PHONE = "+263771234501"
REFEREE_PHONE = "+263771234502"


def referral_shop(total="100.00", cost="1.00"):
    shop = Shop()
    budget = shop.budget(total)
    reward = shop.ok(
        shop.post(
            "rewards/",
            {"name": "Welcome", "reward_type": "discount", "discount_kind": "amount", "value": "2", "cost": cost}
            | {"budget": budget["id"]},
        )
    )
    shop.ok(shop.client.patch(shop.url, {"referral_reward": reward["id"]}, format="json"))
    return shop, budget, reward


def enrol(shop, phone, **extra):
    return shop.post("customers/", {"phone": phone, **extra})


def issuances_of(shop, customer_id):
    return [i for i in shop.ok(shop.get(f"issuances/?customer={customer_id}"))["results"]]


@pytest.mark.django_db
def test_referee_first_purchase_rewards_both_once(books_clean):
    shop, _, reward = referral_shop()
    referrer = shop.ok(enrol(shop, REFERRER_PHONE), 201)
    assert len(referrer["referral_code"]) == 8 and referrer["referral"] is None
    referee = shop.ok(enrol(shop, REFEREE_PHONE, referral_code=referrer["referral_code"].lower()), 201)
    assert referee["referral"] == {"status": "pending", "reason": ""}

    shop.ok(shop.event(customer=REFEREE_PHONE, event_type="visit"))  # not the qualifying type
    assert issuances_of(shop, referee["id"]) == []
    answer = shop.ok(shop.event(customer=REFEREE_PHONE), 201)
    assert [i["reward"] for i in answer["issuances"]] == [reward["id"]]
    shop.ok(shop.event(customer=REFEREE_PHONE), 201)
    assert len(issuances_of(shop, referee["id"])) == 1
    assert len(issuances_of(shop, referrer["id"])) == 1
    listed = shop.ok(shop.get("referrals/?status=rewarded"))["results"]
    assert [(r["referrer"], r["referee"], r["status"]) for r in listed] == [(referrer["id"], referee["id"], "rewarded")]
    assert listed[0]["event"] == answer["id"] and listed[0]["rewarded_at"]
    assert shop.ok(shop.get("referrals/?status=pending"))["results"] == []
    assert shop.get("referrals/?status=maybe").status_code == 400


@pytest.mark.django_db
def test_self_referral_by_the_same_device_is_recorded_refused_and_never_rewarded(books_clean):
    shop, _, _ = referral_shop()
    referrer = shop.ok(enrol(shop, REFERRER_PHONE, device_id="android-42"), 201)
    referee = shop.ok(enrol(shop, REFEREE_PHONE, referral_code=referrer["referral_code"], device_id="android-42"), 201)
    assert referee["referral"] == {"status": "refused", "reason": "same_device"}
    shop.ok(shop.event(customer=REFEREE_PHONE), 201)
    assert issuances_of(shop, referee["id"]) == [] and issuances_of(shop, referrer["id"]) == []
    refused = shop.ok(shop.get("referrals/?status=refused"))["results"]
    assert [r["reason"] for r in refused] == ["same_device"]


@pytest.mark.django_db
def test_an_unknown_code_enrols_nobody():
    shop, _, _ = referral_shop()
    answer = enrol(shop, REFEREE_PHONE, referral_code="NOSUCH22")
    assert answer.status_code == 422, answer.json()
    assert answer.json()["error"]["code"] == "referral_code_unknown"
    assert "referral_code" in answer.json()["error"]["details"]
    assert shop.ok(shop.get("customers/"))["results"] == []
    # another tenant's customer's code is unknown here too
    other = Shop()
    theirs = other.ok(enrol(other, REFERRER_PHONE), 201)
    assert enrol(shop, REFEREE_PHONE, referral_code=theirs["referral_code"]).status_code == 422


@pytest.mark.django_db
def test_a_budget_that_cannot_pay_leaves_the_referral_pending_for_the_next_event(books_clean):
    shop, budget, _ = referral_shop(total="1.00", cost="1.00")  # one side's worth only
    referrer = shop.ok(enrol(shop, REFERRER_PHONE), 201)
    referee = shop.ok(enrol(shop, REFEREE_PHONE, referral_code=referrer["referral_code"]), 201)
    shop.ok(shop.event(customer=REFEREE_PHONE), 201)
    pending = shop.ok(shop.get("referrals/"))["results"][0]
    assert (pending["status"], pending["reason"]) == ("pending", "budget_exhausted")
    assert issuances_of(shop, referee["id"]) == [] and issuances_of(shop, referrer["id"]) == []
    topped = shop.post(f"budgets/{budget['id']}/topup/", {"amount": "5.00"}, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    shop.ok(topped)
    shop.ok(shop.event(customer=REFEREE_PHONE), 201)
    assert shop.ok(shop.get("referrals/"))["results"][0]["status"] == "rewarded"
    assert len(issuances_of(shop, referee["id"])) == 1 and len(issuances_of(shop, referrer["id"])) == 1


@pytest.mark.django_db
def test_referral_reward_must_be_the_tenants_own_and_codes_are_made_lazily():
    shop, _, reward = referral_shop()
    other = Shop()
    assert other.client.patch(other.url, {"referral_reward": reward["id"]}, format="json").status_code == 404
    off = shop.ok(shop.client.patch(shop.url, {"referral_reward": None}, format="json"))
    assert off["referral_reward"] is None

    enrolled = shop.ok(enrol(shop, REFERRER_PHONE), 201)
    with all_tenants():
        Customer.objects.filter(pk=enrolled["id"]).update(referral_code=None)  # as enrolled before codes
    made = shop.ok(shop.get(f"customers/{enrolled['id']}/"))["referral_code"]
    assert made and made == shop.ok(shop.get(f"customers/{enrolled['id']}/"))["referral_code"]
    assert other.get("referrals/").status_code == 200 and other.ok(other.get("referrals/"))["results"] == []


# --- the race, on PostgreSQL ------------------------------------------------------------------------------------


def signed_post(tenant, key, path_tail, body):
    path = f"/api/v1/loyalty/tenants/{tenant.pk}/{path_tail}"
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    signature = request_signature(secret=key.secret, timestamp=stamp, method="POST", path=path, body=raw)
    response = APIClient().post(
        path,
        data=raw,
        content_type="application/json",
        HTTP_X_API_KEY=key.key.key_id,
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=signature,
    )
    return response.status_code, response.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_first_purchases_reward_the_referral_once():
    owner = UserFactory()
    tenant = create_tenant(creator=owner, name="Mbare Grocers", currency="USD", time_zone="Africa/Harare")
    with tenant_context(tenant.pk):
        budget = create_budget(
            tenant=tenant, name="Q4", total_amount="100.00", currency="USD", period="none", hard_cap=True
        )
        reward = create_reward(
            tenant=tenant, name="Welcome", reward_type="points", value="20", cost="1.00", budget_id=budget.pk
        )
        update_tenant(tenant=tenant, referral_reward=reward.pk)
        key = create_api_key(tenant=tenant, creator=owner)
    status, referrer = signed_post(tenant, key, "customers/", {"phone": REFERRER_PHONE})
    assert status == 201, referrer
    status, referee = signed_post(
        tenant, key, "customers/", {"phone": REFEREE_PHONE, "referral_code": referrer["referral_code"]}
    )
    assert status == 201 and referee["referral"]["status"] == "pending", referee

    def purchase(index: int):
        body = {
            "customer": REFEREE_PHONE,
            "event_type": "purchase",
            "event_data": {"amount": 10},
            "idempotency_key": str(uuid.uuid4()),
        }
        return signed_post(tenant, key, "events/", body)

    results = run_threads(4, purchase)
    assert all(status == 201 for status, _ in results), results
    with tenant_context(tenant.pk):
        assert Referral.objects.get().status == "rewarded"
        assert Issuance.objects.filter(customer_id=referee["id"]).count() == 1
        assert Issuance.objects.filter(customer_id=referrer["id"]).count() == 1
        assert Customer.objects.get(pk=referrer["id"]).points == 20
    assert budget_discrepancies() == [] and ledger_discrepancies() == []
