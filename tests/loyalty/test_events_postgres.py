"""Events under real concurrency, through the API, as integrators' tills send them (PostgreSQL, with row-level
security on): a voucher pool is never issued twice, and one idempotency key makes one event however many times it
arrives at once."""

import json
import time
import uuid

import pytest
from django.db import connection
from rest_framework.test import APIClient

from loyalty.models import Event, Issuance, VoucherCode
from loyalty.services.budgets import budget_discrepancies, create_budget
from loyalty.services.rewards import add_voucher_codes, create_reward
from loyalty.services.rules import create_rule
from loyalty.services.tenants import create_api_key, create_tenant, request_signature
from loyalty.tenancy import tenant_context
from payments.selectors import ledger_discrepancies
from tests.factories import UserFactory
from tests.fixtures.threads import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def till():
    """A tenant with a rule that gives a voucher from a pool of 5 codes on every purchase, and its API key."""
    owner = UserFactory()
    tenant = create_tenant(creator=owner, name="Mbare Grocers", currency="USD", time_zone="Africa/Harare")
    with tenant_context(tenant.pk):
        budget = create_budget(
            tenant=tenant, name="Q4", total_amount="100.00", currency="USD", period="none", hard_cap=True
        )
        voucher = create_reward(
            tenant=tenant, name="Free bread", reward_type="voucher", value="0", cost="1.00", budget_id=budget.pk
        )
        add_voucher_codes(tenant=tenant, reward_id=voucher.pk, codes=[f"BREAD-{n}" for n in range(5)])
        create_rule(tenant=tenant, name="Any purchase", conditions={"==": [1, 1]}, reward_id=voucher.pk)
        made = create_api_key(tenant=tenant, creator=owner)
    return tenant, made


def send(tenant, key, body: dict):
    path = f"/api/v1/loyalty/tenants/{tenant.pk}/events/"
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


def test_twenty_concurrent_events_over_five_codes_issue_five_distinct_codes(till):
    tenant, key = till

    def purchase(index: int):
        body = {
            "customer": f"+2637712300{index:02d}",
            "event_type": "purchase",
            "event_data": {"amount": 10},
            "idempotency_key": str(uuid.uuid4()),
        }
        return send(tenant, key, body)

    results = run_threads(20, purchase)
    assert all(status == 201 for status, _ in results), results
    codes = [i["code"] for _, answer in results for i in answer["issuances"]]
    assert len(codes) == 5 and len(set(codes)) == 5, codes
    skipped = [s["reason"] for _, answer in results for s in answer["skipped"]]
    assert skipped == ["reward_unavailable"] * 15
    with tenant_context(tenant.pk):
        assert VoucherCode.objects.filter(issued_at__isnull=False).count() == 5
        assert Issuance.objects.count() == 5 and Event.objects.count() == 20
    assert budget_discrepancies() == [] and ledger_discrepancies() == []


def test_one_idempotency_key_sent_ten_times_at_once_is_one_event(till):
    tenant, key = till
    body = {
        "customer": "+263771234567",
        "event_type": "purchase",
        "event_data": {"amount": 10},
        "idempotency_key": "till-7-receipt-1001",
    }
    results = run_threads(10, lambda index: send(tenant, key, body))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 9 + [201], results
    answers = {json.dumps(answer, sort_keys=True) for _, answer in results}
    assert len(answers) == 1  # every one of them the first answer
    with tenant_context(tenant.pk):
        assert Event.objects.count() == 1 and Issuance.objects.count() == 1
    assert budget_discrepancies() == [] and ledger_discrepancies() == []
    assert connection.vendor == "postgresql"


def test_events_giving_several_rewards_from_one_budget_never_deadlock():
    """Two rewards on one budget: an event that gives both must not take the second reward's lock while holding
    the budget's accounts, which an event giving only the second holds in the other order (it deadlocked under
    load before every reward of an event was locked up front)."""
    owner = UserFactory()
    tenant = create_tenant(creator=owner, name="Two rewards", currency="USD", time_zone="Africa/Harare")
    with tenant_context(tenant.pk):
        budget = create_budget(
            tenant=tenant, name="Q4", total_amount="100000.00", currency="USD", period="monthly", hard_cap=True
        )
        big = create_reward(
            tenant=tenant,
            name="1 off",
            reward_type="discount",
            discount_kind="amount",
            value="1.00",
            cost="1.00",
            budget_id=budget.pk,
        )
        points = create_reward(
            tenant=tenant, name="5 points", reward_type="points", value="5", cost="0.05", budget_id=budget.pk
        )
        create_rule(tenant=tenant, name="big", conditions={">": [{"var": "event.data.amount"}, 50]}, reward_id=big.pk)
        create_rule(tenant=tenant, name="any", conditions={"==": [1, 1]}, reward_id=points.pk, priority=200)
        key = create_api_key(tenant=tenant, creator=owner)

    def till(index: int):
        statuses = []
        for n in range(12):
            body = {
                "customer": f"+2637712{(index * 12 + n) % 30:05d}",
                "event_type": "purchase",
                "event_data": {"amount": 100 if (index + n) % 2 else 10},
                "idempotency_key": f"{index}-{n}",
            }
            statuses.append(send(tenant, key, body)[0])
        return statuses

    results = run_threads(6, till)
    assert all(isinstance(r, list) and set(r) == {201} for r in results), results
    assert budget_discrepancies() == [] and ledger_discrepancies() == []
