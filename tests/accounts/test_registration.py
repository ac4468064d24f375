"""Sign-up, email verification, password reset and change; no answer tells whether an email is registered."""

import re

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-long-password-7"


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def signup(email, phone="+254733000111", password="a-long-enough-password-1"):
    body = {"email": email, "password": password, "first_name": "Wanjiru", "last_name": "Kamau", "phone_number": phone}
    return APIClient().post("/api/v1/auth/signup/", body, format="json")


def link_token(mail) -> str:
    return re.search(r"token=([^\s&]+)", mail.body).group(1)


def test_signup_answers_alike_for_new_and_taken_emails(mailoutbox, messages_delivered):
    existing = UserFactory(email="taken@example.com")
    fresh = signup("fresh@example.com")
    taken = signup("TAKEN@example.com", phone="+254733000222")
    assert fresh.status_code == taken.status_code == 202
    assert fresh.json() == taken.json()
    assert User.objects.filter(email="fresh@example.com", is_verified=False).exists()
    assert User.objects.filter(email="taken@example.com").get() == existing
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert "verify-email?token=" in by_recipient["fresh@example.com"].body
    assert "tried to create" in by_recipient["taken@example.com"].body


def test_signup_validates_password_and_phone():
    weak = signup("weak@example.com", password="password")
    assert weak.status_code == 400 and "password" in weak.json()["error"]["details"]
    bad_phone = signup("phone@example.com", phone="0712")
    assert bad_phone.status_code == 400 and "phone_number" in bad_phone.json()["error"]["details"]
    assert not User.objects.exists()


def test_email_verification_link(mailoutbox, messages_delivered):
    signup("wanjiru@example.com")
    token = link_token(mailoutbox[0])
    response = APIClient().post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert response.status_code == 200 and response.json()["is_verified"] is True
    tampered = APIClient().post("/api/v1/auth/verify-email/", {"token": token[:-2] + "xx"}, format="json")
    assert tampered.status_code == 400 and tampered.json()["error"]["code"] == "link_invalid"


def test_verification_link_expires(mailoutbox, messages_delivered):
    with time_machine.travel("2026-11-01 10:00Z"):
        signup("late@example.com")
    with time_machine.travel("2026-11-05 10:00Z"):
        response = APIClient().post("/api/v1/auth/verify-email/", {"token": link_token(mailoutbox[0])}, format="json")
    assert response.json()["error"]["code"] == "link_invalid"
    assert not User.objects.get(email="late@example.com").is_verified


def test_unverified_user_can_log_in(mailoutbox, messages_delivered):
    signup("new@example.com", password="a-long-enough-password-1")
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": "new@example.com", "password": "a-long-enough-password-1"}, format="json"
    )
    assert response.status_code == 200 and response.json()["user"]["is_verified"] is False


def test_password_reset_answers_alike_and_ends_every_session(mailoutbox, messages_delivered):
    user = UserFactory()
    tokens = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    known = APIClient().post("/api/v1/auth/password/reset/", {"email": user.email}, format="json")
    unknown = APIClient().post("/api/v1/auth/password/reset/", {"email": "ghost@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    (reset,) = [m for m in mailoutbox if "Reset your password" in m.subject]
    assert [m.subject for m in mailoutbox] == ["Pamoja: New sign-in to your account", reset.subject]
    uid = re.search(r"uid=([^&\s]+)", reset.body).group(1)
    token = re.search(r"token=([^&\s]+)", reset.body).group(1)
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    assert APIClient().post("/api/v1/auth/password/reset/confirm/", body, format="json").status_code == 204
    again = APIClient().post("/api/v1/auth/password/reset/confirm/", body, format="json")
    assert again.json()["error"]["code"] == "link_invalid"  # single use
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_change_ends_other_sessions_and_keeps_this_one():
    user = UserFactory()
    other_device = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    client = APIClient()
    client.force_authenticate(user=user)
    wrong = client.post("/api/v1/auth/password/change/", {"old_password": "nope", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 401
    response = client.post(
        "/api/v1/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200 and {"access", "refresh"} <= set(response.json())
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": other_device["refresh"]}).status_code == 401
    assert APIClient().post("/api/v1/auth/refresh/", {"refresh": response.json()["refresh"]}).status_code == 200


def test_signup_with_a_referral_code(mailoutbox, messages_delivered):
    referrer = UserFactory()
    body = {
        "email": "friend@example.com",
        "password": "a-long-enough-password-1",
        "first_name": "F",
        "last_name": "R",
        "phone_number": "+254733000999",
        "referral_code": referrer.referral_code.lower(),
    }
    assert APIClient().post("/api/v1/auth/signup/", body, format="json").status_code == 202
    assert User.objects.get(email="friend@example.com").referred_by == referrer
    bad = APIClient().post("/api/v1/auth/signup/", {**body, "referral_code": "NOPE1234"}, format="json")
    assert bad.status_code == 400 and "referral_code" in bad.json()["error"]["details"]
