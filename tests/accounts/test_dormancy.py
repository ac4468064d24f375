import re
import uuid

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.dormancy import mark_dormant_accounts
from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def test_the_weekly_job_marks_ninety_idle_days_once():
    with time_machine.travel("2026-01-01 10:00Z"):
        idle, active = UserFactory(), UserFactory()
    with time_machine.travel("2026-03-01 10:00Z"):
        User.objects.filter(pk=active.pk).update(last_login="2026-03-01T10:00:00Z")
    with time_machine.travel("2026-04-15 10:00Z"):
        assert mark_dormant_accounts() == 1
        assert mark_dormant_accounts() == 0
    assert User.objects.get(pk=idle.pk).dormant_since is not None
    assert User.objects.get(pk=active.pk).dormant_since is None


def test_a_dormant_user_signs_in_but_moves_money_only_after_the_emailed_code(mailoutbox, messages_delivered):
    user, friend = UserFactory(), UserFactory()
    fund_wallet(user, "100.00")
    User.objects.filter(pk=user.pk).update(dormant_since="2026-01-01T00:00:00Z")
    tokens = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    (mail,) = [m for m in mailoutbox if "reactivate" in m.subject]
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    def transfer():
        return client.post(
            "/api/v1/wallet/transfer/",
            {"amount": "10.00", "currency": "KES", "recipient": friend.email},
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=pin_token(user),
        )

    assert transfer().json()["error"]["code"] == "account_dormant"
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/api/v1/auth/reactivate/", {"code": wrong}).json()["error"]["code"] == (
        "reactivation_code_invalid"
    )
    assert client.post("/api/v1/auth/reactivate/", {"code": code}).status_code == 204
    assert transfer().status_code == 201
