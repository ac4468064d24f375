"""Events in, rewards out, through the API: rules by priority with caps, cooldowns and "stop", custom operators,
budgets that refuse or alert, idempotent events, redemption once, bad rules and events refused naming what is
wrong, and another tenant's objects not found through every endpoint."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from loyalty.models import Event, Issuance, Rule
from loyalty.services.budgets import budget_discrepancies
from loyalty.tenancy import all_tenants, tenant_context
from payments.selectors import ledger_discrepancies
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/loyalty/tenants/"
PURCHASE_500 = {">=": [{"var": "event.data.amount"}, 500]}


class Shop:
    """A tenant driven through the API by its admin."""

    def __init__(self, owner=None, **settings):
        self.owner = owner or UserFactory()
        self.client = APIClient()
        self.client.force_authenticate(user=self.owner)
        body = {"name": "Mbare Grocers", "currency": "USD", "time_zone": "Africa/Harare", **settings}
        self.id = self.ok(self.client.post(BASE, body, format="json"))["id"]
        self.url = f"{BASE}{self.id}/"

    @staticmethod
    def ok(response, status=(200, 201)):
        assert response.status_code in ((status,) if isinstance(status, int) else status), response.json()
        return response.json()

    def post(self, path, body, **kwargs):
        return self.client.post(self.url + path, body, format="json", **kwargs)

    def get(self, path):
        return self.client.get(self.url + path)

    def budget(self, total="100.00", **extra):
        body = {"name": "Q4", "total_amount": total, "period": "none", "hard_cap": True, **extra}
        return self.ok(self.post("budgets/", body))

    def reward(self, budget, **extra):
        body = {"name": "50 points", "reward_type": "points", "value": "50", "cost": "0.50", "budget": budget["id"]}
        return self.ok(self.post("rewards/", {**body, **extra}))

    def rule(self, reward, conditions=None, **extra):
        body = {"name": "Big basket", "conditions": conditions or PURCHASE_500, "reward": reward["id"], **extra}
        return self.ok(self.post("rules/", body))

    def event(self, customer="+263771234567", amount=600, *, key=None, event_type="purchase", **extra):
        body = {
            "customer": customer,
            "event_type": event_type,
            "event_data": {"amount": amount},
            "idempotency_key": key or str(uuid.uuid4()),
            **extra,
        }
        return self.post("events/", body)


@pytest.fixture
def shop():
    return Shop()


def rows(model) -> int:
    """How many rows of every tenant (on PostgreSQL a query outside a tenant would see none)."""
    with all_tenants():
        return model.objects.count()


def books_clean():
    return budget_discrepancies() == [] and ledger_discrepancies() == []


def test_an_event_runs_the_rules_and_answers_with_the_issuances(shop):
    budget = shop.budget()
    reward = shop.reward(budget)
    rule = shop.rule(reward)
    answer = shop.ok(shop.event(amount=600), 201)
    assert answer["event_type"] == "purchase" and len(answer["issuances"]) == 1
    assert answer["issuances"][0]["reward"] == reward["id"] and answer["issuances"][0]["rule"] == rule["id"]
    customer = shop.ok(shop.get(f"customers/{answer['customer']}/"))
    assert customer["points"] == 50 and customer["channel"] == "api"  # enrolled by the event
    assert shop.ok(shop.event(amount=100), 201)["issuances"] == []  # the rule does not match
    figures = shop.ok(shop.get(f"budgets/{budget['id']}/"))
    assert figures["utilized"] == "0.50" and figures["available"] == "99.50"
    assert books_clean()


def test_the_same_idempotency_key_answers_the_first_result(shop):
    shop.rule(shop.reward(shop.budget()))
    key = str(uuid.uuid4())
    first = shop.ok(shop.event(key=key), 201)
    again = shop.event(key=key)
    assert again.status_code == 200 and again.json() == first
    assert rows(Event) == 1 and rows(Issuance) == 1
    other = shop.event(key=key, amount=999)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_priority_and_stop_processing(shop):
    budget = shop.budget()
    gold, silver = shop.reward(budget, name="gold"), shop.reward(budget, name="silver")
    shop.rule(silver, priority=20)
    shop.rule(gold, priority=10, stop_processing=True)
    answer = shop.ok(shop.event(), 201)
    assert [i["reward"] for i in answer["issuances"]] == [gold["id"]]


def test_caps_and_cooldowns(shop):
    budget = shop.budget()
    once_a_day = shop.rule(shop.reward(budget), caps={"per_customer": {"count": 1, "period": "day"}})
    assert len(shop.ok(shop.event(), 201)["issuances"]) == 1
    second = shop.ok(shop.event(), 201)
    assert second["issuances"] == [] and second["skipped"] == [{"rule": once_a_day["id"], "reason": "cap_per_customer"}]
    assert len(shop.ok(shop.event(customer="+263771234568"), 201)["issuances"]) == 1  # another customer
    with time_machine.travel(timezone.now() + timedelta(days=1, hours=1)):
        assert len(shop.ok(shop.event(), 201)["issuances"]) == 1  # a new day

    other = Shop()
    budget = other.budget()
    other.rule(other.reward(budget), caps={"global": {"count": 2, "period": "all"}}, cooldown_seconds=3600)
    assert len(other.ok(other.event(), 201)["issuances"]) == 1
    assert other.ok(other.event(), 201)["skipped"][0]["reason"] == "cooldown"
    assert len(other.ok(other.event(customer="+263771234568"), 201)["issuances"]) == 1
    assert other.ok(other.event(customer="+263771234569"), 201)["skipped"][0]["reason"] == "cap_global"
    assert books_clean()


def test_custom_operators_read_the_customers_history(shop):
    budget = shop.budget()
    third_visit = {"and": [{"==": [{"var": "event.type"}, "visit"]}, {"==": [{"count_events": ["visit", 7]}, 3]}]}
    big_spender = {">": [{"sum_events": ["purchase", "amount", 30]}, 1000]}
    first_purchase = {"and": [{"==": [{"var": "event.type"}, "purchase"]}, {"first_event": []}]}
    shop.rule(shop.reward(budget, name="third visit"), third_visit, name="visits")
    shop.rule(shop.reward(budget, name="big spender"), big_spender, name="spend", cooldown_seconds=10**6)
    shop.rule(shop.reward(budget, name="welcome"), first_purchase, name="welcome")

    now = timezone.now()
    visits = [
        shop.ok(shop.event(event_type="visit", amount=0, occurred_at=(now - timedelta(days=d)).isoformat()), 201)
        for d in (10, 2, 1)
    ]
    assert [len(v["issuances"]) for v in visits] == [0, 0, 0]  # the one 10 days ago is outside the week
    assert len(shop.ok(shop.event(event_type="visit", amount=0), 201)["issuances"]) == 1  # third in 7 days
    purchases = [shop.ok(shop.event(amount=600), 201) for _ in range(2)]
    names = [[i["reward"] for i in p["issuances"]] for p in purchases]
    rewards = {r["name"]: r["id"] for r in shop.ok(shop.get("rewards/"))}
    assert names[0] == [rewards["welcome"]]  # 600 so far: not yet a big spender
    assert names[1] == [rewards["big spender"]]  # 1,200 in 30 days; no longer a first purchase


def test_a_day_of_week_rule_reads_the_tenants_zone(shop):
    reward = shop.reward(shop.budget())
    shop.rule(reward, {"==": [{"day_of_week": []}, 6]})  # Saturdays in Harare
    saturday_late = "2026-11-28T22:30:00+00:00"  # 00:30 on Sunday in Harare (UTC+2)
    friday_late = "2026-11-27T22:30:00+00:00"  # 00:30 on Saturday in Harare
    assert shop.ok(shop.event(occurred_at=saturday_late), 201)["issuances"] == []
    assert len(shop.ok(shop.event(occurred_at=friday_late), 201)["issuances"]) == 1


def test_a_top_up_is_idempotent(shop):
    budget = shop.budget(total="10.00")
    key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    first = shop.ok(shop.post(f"budgets/{budget['id']}/topup/", {"amount": "5.00"}, **key))
    again = shop.post(f"budgets/{budget['id']}/topup/", {"amount": "5.00"}, **key)
    assert again.status_code == 200 and again.json() == first
    assert first["available"] == "15.00" and first["total_amount"] == "15.00"
    assert shop.post(f"budgets/{budget['id']}/topup/", {"amount": "5.00"}).status_code == 400  # no key
    assert books_clean()


def test_a_hard_cap_refuses_and_a_soft_cap_alerts_once(shop, monkeypatch):
    hard = shop.budget(total="1.00")
    shop.rule(shop.reward(hard, cost="0.60"))
    assert len(shop.ok(shop.event(), 201)["issuances"]) == 1
    refused = shop.ok(shop.event(), 201)
    assert refused["issuances"] == [] and refused["skipped"][0]["reason"] == "budget_exhausted"

    alerts = []
    monkeypatch.setattr("loyalty.services.budgets.notify", lambda **kwargs: alerts.append(kwargs), raising=False)
    soft_shop = Shop()
    soft = soft_shop.budget(total="10.00", hard_cap=False, soft_cap_threshold="1.00")
    soft_shop.rule(soft_shop.reward(soft, cost="0.60"))
    for _ in range(4):
        assert len(soft_shop.ok(soft_shop.event(), 201)["issuances"]) == 1
    assert books_clean()


def test_redemption_happens_once(shop):
    budget = shop.budget()
    reward = shop.reward(budget, name="10% off", reward_type="discount", discount_kind="percent", value="10")
    shop.rule(reward)
    issued = shop.ok(shop.event(), 201)["issuances"][0]
    assert issued["code"]
    wrong = shop.post(f"issuances/{issued['id']}/redeem/", {"code": "000000" if issued["code"] != "000000" else "1"})
    assert wrong.status_code == 400
    first = shop.post(f"issuances/{issued['id']}/redeem/", {"code": issued["code"]})
    assert first.status_code == 200 and first.json()["state"] == "redeemed"
    again = shop.post(f"issuances/{issued['id']}/redeem/", {"code": issued["code"]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "issuance_state"
    cancel = shop.post(f"issuances/{issued['id']}/cancel/", {})
    assert cancel.status_code == 409
    figures = shop.ok(shop.get(f"budgets/{budget['id']}/"))
    assert figures["utilized"] == reward["cost"]
    lines = shop.ok(shop.get("ledger/"))["results"]
    assert {line["kind"] for line in lines} >= {"loyalty_topup", "loyalty_reserve", "loyalty_charge"}
    assert books_clean()


def test_voucher_codes_are_uploaded_and_issued_once_each(shop):
    budget = shop.budget()
    voucher = shop.reward(budget, name="Free bread", reward_type="voucher", value="0", cost="1.00")
    upload = shop.client.post(
        shop.url + f"rewards/{voucher['id']}/codes/", data=b"code\nA1\nA2\nA2\n\nA3\n", content_type="text/csv"
    )
    assert upload.status_code == 201 and upload.json() == {"added": 3, "duplicates": 1}
    shop.rule(voucher)
    codes = [shop.ok(shop.event(), 201)["issuances"] for _ in range(4)]
    issued = [i[0]["code"] for i in codes if i]
    assert sorted(issued) == ["A1", "A2", "A3"] and codes[3] == []
    assert shop.ok(shop.get(f"rewards/{voucher['id']}/"))["codes_left"] == 0


@pytest.mark.parametrize(
    ("conditions", "named"),
    [
        ({"frobnicate": [1, 2]}, "frobnicate"),
        ({"==": [1]}, "=="),
        ({"count_events": [{"var": "x"}, 7]}, "count_events"),
        ({"count_events": ["visit", 9999]}, "count_events"),
    ],
)
def test_a_bad_rule_is_refused_naming_what_is_wrong(shop, conditions, named):
    reward = shop.reward(shop.budget())
    response = shop.post("rules/", {"name": "bad", "conditions": conditions, "reward": reward["id"]})
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "validation_error" and named in error["details"]["conditions"][0]
    assert not shop.ok(shop.get("rules/"))


@pytest.mark.parametrize(
    "body",
    [
        {"event_type": "purchase", "idempotency_key": "k"},
        {"customer": "0771234567", "event_type": "purchase", "idempotency_key": "k"},
        {"customer": "+263771234567", "event_type": "Purchase!", "idempotency_key": "k"},
        {"customer": "+263771234567", "event_type": "purchase", "idempotency_key": "k", "event_data": [1]},
        {"customer": "+263771234567", "event_type": "purchase", "idempotency_key": "k", "event_data": {"a": "\x00"}},
        {"customer": "+263771234567", "event_type": "purchase", "idempotency_key": "k", "event_data": {"\x00": 1}},
        {"customer": "+263771234567", "event_type": "purchase"},
        {
            "customer": "+263771234567",
            "event_type": "purchase",
            "idempotency_key": "k",
            "occurred_at": "2099-01-01T00:00:00Z",
        },
    ],
)
def test_a_bad_event_is_refused_and_stores_nothing(shop, body):
    response = shop.post("events/", body)
    assert response.status_code == 400, response.json()
    assert rows(Event) == 0


def test_an_unknown_customer_is_not_found_where_the_tenant_does_not_enrol():
    closed = Shop(auto_enrol=False)
    response = closed.event()
    assert response.status_code == 404 and rows(Event) == 0


def test_a_viewer_cannot_write(shop):
    viewer = UserFactory()
    shop.ok(shop.post("staff/", {"email": viewer.email, "role": "viewer"}))
    client = APIClient()
    client.force_authenticate(user=viewer)
    budget = shop.budget()
    for path, body in (
        ("budgets/", {"name": "x", "total_amount": "1.00", "period": "none", "hard_cap": True}),
        (f"budgets/{budget['id']}/topup/", {"amount": "1.00"}),
        ("campaigns/", {"name": "x"}),
        ("rules/", {"name": "x", "conditions": PURCHASE_500, "reward": 1}),
        ("events/", {"customer": "+263771234567", "event_type": "x", "idempotency_key": "k"}),
    ):
        response = client.post(shop.url + path, body, format="json")
        assert response.status_code == 403, path
    assert client.get(shop.url + "budgets/").status_code == 200


def test_every_endpoint_hides_another_tenants_objects(shop):
    budget = shop.budget()
    reward = shop.reward(budget, reward_type="discount", discount_kind="amount", value="1.00")
    rule = shop.rule(reward)
    campaign = shop.ok(shop.post("campaigns/", {"name": "Festive"}))
    answer = shop.ok(shop.event(), 201)
    issuance, customer = answer["issuances"][0]["id"], answer["customer"]

    intruder = Shop()  # the admin of another tenant
    for path in (
        f"budgets/{budget['id']}/",
        f"rewards/{reward['id']}/",
        f"rules/{rule['id']}/",
        f"campaigns/{campaign['id']}/",
        f"customers/{customer}/",
        f"issuances/{issuance}/",
    ):
        assert intruder.get(path).status_code == 404, path  # by id, under the intruder's own tenant
        assert intruder.client.get(shop.url + path).status_code == 404, path  # under the victim's tenant
    for path in (f"issuances/{issuance}/redeem/", f"issuances/{issuance}/cancel/", f"budgets/{budget['id']}/topup/"):
        key = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
        assert intruder.post(path, {"amount": "1.00"}, **key).status_code == 404, path
        victim_path = shop.url + path
        assert intruder.client.post(victim_path, {"amount": "1.00"}, format="json", **key).status_code == 404, path
    for path, body in (
        (f"rules/{rule['id']}/", {"active": False}),
        (f"campaigns/{campaign['id']}/", {"status": "ended"}),
        (f"customers/{customer}/", {"status": "suspended"}),
    ):
        assert intruder.client.patch(intruder.url + path, body, format="json").status_code == 404, path
        assert intruder.client.patch(shop.url + path, body, format="json").status_code == 404, path
    spend = {"amount": 1, "reason": "x"}
    assert intruder.post(f"customers/{customer}/points/spend/", spend).status_code == 404
    upload = intruder.client.post(intruder.url + f"rewards/{reward['id']}/codes/", b"X1\n", content_type="text/csv")
    assert upload.status_code == 404
    stolen = intruder.post("events/", {"customer": str(customer), "event_type": "purchase", "idempotency_key": "x"})
    assert stolen.status_code == 404  # another tenant's customer id is no customer here
    assert intruder.post("rules/", {"name": "x", "conditions": PURCHASE_500, "reward": reward["id"]}).status_code == 400
    assert intruder.ok(intruder.get("issuances/"))["count"] == 0
    assert intruder.ok(intruder.get("ledger/"))["count"] == 0
    with tenant_context(shop.id):  # on PostgreSQL, outside a tenant no row is visible at all
        assert Issuance.objects.get(pk=issuance).state == "issued"


def test_points_are_earned_by_events_and_spent_at_the_till(shop):
    shop.rule(shop.reward(shop.budget(), value="50"))
    answer = shop.ok(shop.event(), 201)
    customer = answer["customer"]
    spent = shop.post(f"customers/{customer}/points/spend/", {"amount": 30, "reason": "receipt 1001"})
    assert spent.status_code == 200 and spent.json()["points"] == 20
    too_many = shop.post(f"customers/{customer}/points/spend/", {"amount": 21, "reason": "receipt 1002"})
    assert too_many.status_code == 409 and too_many.json()["error"]["code"] == "insufficient_points"
    assert shop.ok(shop.get(f"customers/{customer}/"))["points"] == 20


def test_an_issuance_shows_every_transition_with_who_and_when(shop):
    reward = shop.reward(shop.budget(), name="5 off", reward_type="discount", discount_kind="amount", value="5.00")
    shop.rule(reward)
    issued = shop.ok(shop.event(), 201)["issuances"][0]
    shop.ok(shop.post(f"issuances/{issued['id']}/redeem/", {"code": issued["code"]}))
    detail = shop.ok(shop.get(f"issuances/{issued['id']}/"))
    steps = [(t["from_state"], t["to_state"]) for t in detail["transitions"]]
    assert steps == [("", "reserved"), ("reserved", "issued"), ("issued", "redeemed")]
    assert detail["transitions"][-1]["actor"] == f"user:{shop.owner.pk}"
    assert all(t["at"] for t in detail["transitions"])


def test_a_rule_that_no_longer_compiles_is_skipped_not_a_failed_event(shop):
    rule = shop.rule(shop.reward(shop.budget()))
    with all_tenants():
        Rule.objects.filter(pk=rule["id"]).update(conditions={"no_such_operator": []}, version=99)
    answer = shop.ok(shop.event(), 201)
    assert answer["issuances"] == [] and answer["skipped"] == [{"rule": rule["id"], "reason": "rule_invalid"}]
