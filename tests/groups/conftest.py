import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from groups.models import Membership
from tests.factories import UserFactory, pin_token
from tests.payments.conftest import _sandbox_in_process, fund_wallet, ledger_is_clean  # noqa: F401 (fixtures)

LAGOS = ZoneInfo("Africa/Lagos")
NAIROBI = ZoneInfo("Africa/Nairobi")

AJO = {
    "name": "Balogun market ajo",
    "kind": "ajo",
    "currency": "NGN",
    "contribution_amount": "10000.00",
    "frequency": "monthly",
    "start_date": "2027-01-05",
    "time_zone": "Africa/Lagos",
    "payout_order": "random",
    "grace_days": 2,
    "penalty_kind": "flat",
    "penalty_amount": "500.00",
    "penalty_recurrence": "once",
    "service_fee_percent": "2.00",
    "security_deposit": "10000.00",
    "default_policy": "deposit_covers",
}


def at(when: str, tz=LAGOS):
    """Travel to `when` (ISO, local to `tz`) with the clock stopped."""
    return time_machine.travel(datetime.fromisoformat(when).replace(tzinfo=tz), tick=False)


class Member:
    """A user driving the API as themselves."""

    def __init__(self, api_client_factory, user):
        self.user = user
        self.api = api_client_factory()
        self.api.force_authenticate(user)

    def get(self, path, **params):
        return self.api.get(f"/api/v1/{path}", params)

    def post(self, path, data=None, money=False):
        headers = {}
        if money:
            headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(self.user)}
        return self.api.post(f"/api/v1/{path}", data or {}, format="json", **headers)

    def patch(self, path, data):
        return self.api.patch(f"/api/v1/{path}", data, format="json")

    def put(self, path, data):
        return self.api.put(f"/api/v1/{path}", data, format="json")

    def contributions(self, group_id, **filters):
        return self.get("contributions/", group=group_id, page_size=100, **filters).json()["results"]

    def pay(self, contribution_id):
        return self.post(f"contributions/{contribution_id}/pay/", {"source": "wallet"}, money=True)


@pytest.fixture
def member(db):
    from rest_framework.test import APIClient

    def make(**kwargs):
        return Member(APIClient, UserFactory(**kwargs))

    return make


@pytest.fixture
def forming_group(member):
    """A forming ajo (from `AJO`, overridable) with a chair and `size - 1` joined members, dues unpaid."""

    def make(size=5, funded="200000.00", **overrides):
        people = [member() for _ in range(size)]
        for person in people:
            fund_wallet(person.user, funded, overrides.get("currency", AJO["currency"]))
        answer = people[0].post("groups/", {**AJO, **overrides})
        assert answer.status_code == 201, answer.json()
        group = answer.json()
        for person in people[1:]:
            joined = person.post("groups/join/", {"invite_code": group["invite_code"]})
            assert joined.status_code == 201, joined.json()
        return group, people

    return make


@pytest.fixture
def started_group(forming_group):
    """A started group (join order unless overridden) whose members have paid their dues."""

    def make(size=3, **overrides):
        group, people = forming_group(size=size, **{"payout_order": "join", **overrides})
        for person in people:
            if Decimal(group["security_deposit"]) or Decimal(group["registration_fee"]):
                assert person.post(f"groups/{group['id']}/dues/", money=True).status_code == 200
        answer = people[0].post(f"groups/{group['id']}/start/")
        assert answer.status_code == 200, answer.json()
        return answer.json(), people

    return make


# A chama (rather than an ajo) as the chama tests run it: KES, no deposit, flat penalties, fines, a 1% fee.
CHAMA = {
    "kind": "chama",
    "currency": "KES",
    "time_zone": "Africa/Nairobi",
    "contribution_amount": "1000.00",
    "security_deposit": "0.00",
    "registration_fee": "0.00",
    "penalty_kind": "flat",
    "penalty_amount": "100.00",
    "service_fee_percent": "1.00",
    "default_policy": "payout_waits",
    "absence_fine": "50.00",
    "grace_days": 0,
}


@pytest.fixture
def chama(started_group):
    """A running chama of three (`CHAMA`) with 20,000 in each wallet; the second member is its treasurer."""
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=3, funded="20000.00", **CHAMA)
        gid = group["id"]
        ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
        people[0].patch(f"groups/{gid}/members/{ids[people[1]]}/", {"role": "treasurer"})
    return gid, people, ids
