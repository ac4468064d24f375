"""Consent: an SMS opt-out is honoured by every reward text; the consent API records each choice with its source
and shows the history; viewers read, another tenant's customer is not found."""

import pytest
from rest_framework.test import APIClient

from loyalty.services import issuances as issuance_services
from loyalty.services.consent import record_consent
from loyalty.services.issuances import issue_reward
from tests.factories import UserFactory
from tests.loyalty.conftest import make_customer, make_reward, within
from tests.loyalty.test_events_api import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts(monkeypatch) -> list[dict]:
    """Every SMS the issuing service asks for."""
    sent: list[dict] = []
    monkeypatch.setattr(issuance_services, "notify_address", lambda **kwargs: sent.append(kwargs))
    return sent


def test_an_sms_opt_out_stops_the_reward_text_and_an_opt_in_restarts_it(tenant, budget, texts, books_clean):
    reward = make_reward(tenant, budget)
    customer = make_customer(tenant, "+254700000011")
    with within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:test")
    assert [t["address"] for t in texts] == ["+254700000011"]  # never asked: a service message goes

    with within(tenant):
        record_consent(tenant=tenant, customer=customer, channel="sms", granted=False, source="api")
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:test")
        record_consent(tenant=tenant, customer=customer, channel="whatsapp", granted=False, source="api")
    assert len(texts) == 1

    with within(tenant):
        record_consent(tenant=tenant, customer=customer, channel="sms", granted=True, source="api")
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:test")
    assert len(texts) == 2


def test_consent_api_records_each_choice_with_its_source_and_keeps_the_history():
    shop = Shop()
    customer = shop.ok(shop.post("customers/", {"phone": "+263771234567"}), 201)
    url = shop.url + f"customers/{customer['id']}/consent/"
    empty = shop.ok(shop.client.get(url))
    assert empty == {"channels": {"whatsapp": None, "sms": None, "email": None}, "history": []}

    shop.ok(shop.client.put(url, {"channel": "sms", "granted": True, "source": "paper form"}, format="json"))
    body = shop.ok(shop.client.put(url, {"channel": "sms", "granted": False}, format="json"))
    assert body["channels"]["sms"]["granted"] is False
    assert body["channels"]["sms"]["source"] == f"staff:{shop.owner.pk.hex}"
    assert [(h["channel"], h["granted"], h["source"]) for h in body["history"]] == [
        ("sms", False, f"staff:{shop.owner.pk.hex}"),
        ("sms", True, "paper form"),
    ]
    assert shop.client.put(url, {"channel": "pigeon", "granted": True}, format="json").status_code == 400

    viewer = UserFactory()
    shop.ok(shop.post("staff/", {"email": viewer.email, "role": "viewer"}), 201)
    as_viewer = APIClient()
    as_viewer.force_authenticate(user=viewer)
    assert as_viewer.get(url).status_code == 200
    assert as_viewer.put(url, {"channel": "sms", "granted": True}, format="json").status_code == 403

    other = Shop()
    theirs = other.url + f"customers/{customer['id']}/consent/"
    assert other.client.get(theirs).status_code == 404
    assert other.client.put(theirs, {"channel": "sms", "granted": True}, format="json").status_code == 404
    assert len(shop.ok(shop.client.get(url))["history"]) == 2


def test_an_opted_out_customer_gets_no_text_for_a_reward_an_event_gives(texts):
    shop = Shop()
    budget = shop.budget()
    reward = shop.ok(
        shop.post(
            "rewards/",
            {"name": "5 off", "reward_type": "discount", "discount_kind": "amount", "value": "5", "cost": "1.00"}
            | {"budget": budget["id"]},
        )
    )
    shop.rule(reward)
    customer = shop.ok(shop.post("customers/", {"phone": "+263771234567"}), 201)
    url = shop.url + f"customers/{customer['id']}/consent/"
    shop.ok(shop.client.put(url, {"channel": "sms", "granted": False}, format="json"))
    answer = shop.ok(shop.event(customer="+263771234567", amount=600), 201)
    assert len(answer["issuances"]) == 1 and texts == []
