"""Issue 11, hole 6: the password typed to set a PIN, delete the account, turn 2FA off or change the password goes
through the same lockout as the login: wrong ones count as failed logins, and past the limit the account is locked
(429 `account_locked`) there and at the login."""

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-42"

CONFIRMATIONS = {
    "pin": ("/api/v1/auth/pin/", lambda password: {"pin": "7391", "password": password}),
    "delete": ("/api/v1/users/me/delete/", lambda password: {"password": password}),
    "2fa-disable": ("/api/v1/auth/2fa/disable/", lambda password: {"password": password}),
    "password-change": (
        "/api/v1/auth/password/change/",
        lambda password: {"old_password": password, "new_password": NEW_PASSWORD},
    ),
}


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def confirm(user, which: str, password: str, ip: str = "10.7.0.1"):
    path, body = CONFIRMATIONS[which]
    return client_for(user).post(path, body(password), REMOTE_ADDR=ip)


def login(user, password=DEFAULT_PASSWORD, ip="10.7.0.2"):
    return APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("which", list(CONFIRMATIONS))
def test_wrong_passwords_lock_the_account(which):
    user = UserFactory()
    for _ in range(4):
        response = confirm(user, which, "wrong-password")
        assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"
    fifth = confirm(user, which, "wrong-password")
    assert fifth.status_code == 429 and fifth.json()["error"]["code"] == "account_locked"
    assert fifth["Retry-After"] == "900"

    locked = confirm(user, which, DEFAULT_PASSWORD, ip="10.7.9.9")  # even the right password, from elsewhere
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "account_locked"
    assert login(user).json()["error"]["code"] == "account_locked"  # and the login is locked too
    user.refresh_from_db()
    assert user.is_active and user.check_password(DEFAULT_PASSWORD)  # nothing was changed


@pytest.mark.parametrize("which", list(CONFIRMATIONS))
def test_failures_add_up_with_failed_logins(which):
    user = UserFactory()
    for n in range(3):
        assert login(user, "wrong-password", ip=f"10.8.0.{n}").status_code == 401
    assert confirm(user, which, "wrong-password", ip="10.8.1.1").status_code == 401
    assert confirm(user, which, "wrong-password", ip="10.8.1.2").json()["error"]["code"] == "account_locked"


def test_the_right_password_still_works_below_the_limit():
    user = UserFactory(pin_hash="")
    assert confirm(user, "pin", "wrong-password").status_code == 401
    assert confirm(user, "pin", DEFAULT_PASSWORD).status_code == 204
    assert User.objects.get(pk=user.pk).pin_hash
