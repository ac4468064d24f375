import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def login(email, password, ip="10.0.0.1"):
    return APIClient().post("/api/v1/auth/login/", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_account_then_it_unlocks_after_the_window():
    user = UserFactory()
    with time_machine.travel("2026-11-23 10:00Z", tick=False):
        for _ in range(4):
            assert login(user.email, "wrong-password").json()["error"]["code"] == "invalid_credentials"
        assert login(user.email, "wrong-password").json()["error"]["code"] == "account_locked"  # the fifth
        locked = login(user.email, DEFAULT_PASSWORD, ip="10.0.0.2")  # the right password, from elsewhere
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "account_locked"
        assert locked["Retry-After"] == "900"
    with time_machine.travel("2026-11-23 10:16Z", tick=False):
        assert login(user.email, DEFAULT_PASSWORD, ip="10.0.0.2").status_code == 200


def test_one_address_failing_on_many_accounts_is_locked():
    users = UserFactory.create_batch(5)
    for user in users:
        login(user.email, "wrong-password", ip="10.9.9.9")
    other = UserFactory()
    assert login(other.email, DEFAULT_PASSWORD, ip="10.9.9.9").json()["error"]["code"] == "account_locked"
    assert login(other.email, DEFAULT_PASSWORD, ip="10.9.9.10").status_code == 200


def test_unknown_and_known_emails_fail_alike():
    user = UserFactory()
    known = login(user.email, "wrong-password", ip="10.1.1.1")
    unknown = login("nobody-here@example.com", "wrong-password", ip="10.1.1.2")
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()


def test_email_case_does_not_dodge_the_count():
    user = UserFactory()
    for n in range(5):
        login(user.email.upper() if n % 2 else user.email, "wrong-password", ip=f"10.2.2.{n}")
    assert login(user.email, DEFAULT_PASSWORD, ip="10.2.3.1").json()["error"]["code"] == "account_locked"
