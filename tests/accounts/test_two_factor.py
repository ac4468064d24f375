import base64
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


@pytest.fixture
def member():
    return UserFactory()


def authed(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def enable(user) -> tuple[pyotp.TOTP, list[str]]:
    setup = authed(user).post("/api/v1/auth/2fa/setup/").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/Pamoja:")
    assert base64.b64decode(setup["qr_code_png"]).startswith(b"\x89PNG")
    totp = pyotp.TOTP(pyotp.parse_uri(setup["otpauth_uri"]).secret)
    confirmed = authed(user).post("/api/v1/auth/2fa/confirm/", {"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.json()
    return totp, confirmed.json()["recovery_codes"]


def login(user):
    return APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()


def verify(challenge, code):
    return APIClient().post("/api/v1/auth/2fa/verify/", {"challenge": challenge, "code": code})


def test_setup_confirm_and_sign_in_with_a_code(member):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        totp, codes = enable(member)
    assert len(codes) == 10 and len(set(codes)) == 10
    with time_machine.travel("2026-11-23 10:01:00Z", tick=False):
        answer = login(member)
        assert answer["two_factor_required"] is True and "access" not in answer
        signed_in = verify(answer["challenge"], totp.now())
        assert signed_in.status_code == 200 and {"access", "refresh", "user"} <= set(signed_in.json())
        replay = verify(login(member)["challenge"], totp.now())  # the same code again
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "two_factor_invalid"


def test_a_recovery_code_works_once(member):
    _, codes = enable(member)
    assert verify(login(member)["challenge"], codes[0]).status_code == 200
    assert verify(login(member)["challenge"], codes[0]).status_code == 401
    assert verify(login(member)["challenge"], codes[1]).status_code == 200


def test_wrong_code_and_expired_challenge(member):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        totp, _ = enable(member)
    with time_machine.travel("2026-11-23 10:01:00Z", tick=False):
        challenge = login(member)["challenge"]
        assert verify(challenge, "000000").status_code == 401
        # digits that are not ASCII (which `str.isdigit()` takes) are a wrong code, not a crash
        for code in ("١١١١١١", "²²²²²²"):  # noqa: RUF001
            assert verify(challenge, code).json()["error"]["code"] == "two_factor_invalid"
    with time_machine.travel("2026-11-23 10:07:00Z", tick=False):
        assert verify(challenge, totp.now()).json()["error"]["code"] == "two_factor_invalid"


def test_the_secret_is_encrypted_at_rest(member):
    enable(member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM accounts_user WHERE email = %s", [member.email])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAA")
    assert User.objects.get(pk=member.pk).totp_secret not in stored


def test_disable_needs_the_password(member):
    enable(member)
    assert authed(member).post("/api/v1/auth/2fa/disable/", {"password": "wrong"}).status_code == 401
    assert (
        authed(User.objects.get(pk=member.pk))
        .post("/api/v1/auth/2fa/disable/", {"password": DEFAULT_PASSWORD})
        .status_code
        == 204
    )
    assert "access" in login(member)


def admin_login(client, user, code=""):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": user.email, "password": DEFAULT_PASSWORD, "otp_code": code, "next": "/admin/"},
    )


def test_staff_without_two_factor_cannot_use_the_admin():
    from django.test import Client

    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    page = admin_login(client, staff)
    assert page.status_code == 200 and b"Turn on two-factor" in page.content
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_staff_with_two_factor_signs_in_to_the_admin_with_a_code():
    from django.test import Client

    staff = UserFactory(is_staff=True, is_superuser=True)
    totp, _ = enable(staff)
    client = Client()
    assert b"Two-factor code" in client.get("/admin/login/").content
    wrong = admin_login(client, staff, "000000")
    assert wrong.status_code == 200 and b"not right" in wrong.content
    with time_machine.travel(timedelta(seconds=31), tick=False):  # a fresh step: the setup code was used
        assert admin_login(client, staff, totp.now()).status_code == 302
        assert client.get("/admin/").status_code == 200
