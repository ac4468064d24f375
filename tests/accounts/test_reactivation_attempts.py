"""Issue 11: the dormant-account code takes five wrong tries; then it is burned and a new sign-in mails a new one."""

import re

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def sign_in(user, mailoutbox) -> tuple[APIClient, str]:
    tokens = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    (mail,) = [m for m in mailoutbox if "reactivate" in m.subject][-1:]
    code = re.search(r"\b(\d{6})\b", mail.body).group(1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client, code


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def reactivate(client, code):
    return client.post("/api/v1/auth/reactivate/", {"code": code})


def test_five_wrong_codes_burn_it_and_a_new_sign_in_brings_a_new_one(mailoutbox, messages_delivered):
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(dormant_since="2026-01-01T00:00:00Z")
    client, code = sign_in(user, mailoutbox)
    for left in (4, 3, 2, 1, 0):
        response = reactivate(client, other_than(code))
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "reactivation_code_invalid"
        assert error["details"]["attempts_left"] == left
    burned = reactivate(client, code)  # the right code, too late
    assert burned.status_code == 400 and burned.json()["error"]["code"] == "reactivation_code_invalid"
    assert burned.json()["error"]["details"]["attempts_left"] == 0
    assert User.objects.get(pk=user.pk).dormant_since is not None

    client, new_code = sign_in(user, mailoutbox)
    assert reactivate(client, other_than(new_code)).json()["error"]["details"]["attempts_left"] == 4  # count anew
    assert reactivate(client, new_code).status_code == 204
    assert User.objects.get(pk=user.pk).dormant_since is None


def test_the_right_code_after_a_few_wrong_ones_still_works(mailoutbox, messages_delivered):
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(dormant_since="2026-01-01T00:00:00Z")
    client, code = sign_in(user, mailoutbox)
    for _ in range(4):
        reactivate(client, other_than(code))
    assert reactivate(client, code).status_code == 204
    fresh = User.objects.get(pk=user.pk)
    assert fresh.dormant_since is None and fresh.reactivation_code_hash == ""
