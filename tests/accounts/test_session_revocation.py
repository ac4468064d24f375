"""Issue 11, hole 8: when a session ends (logout, password change or reset, deletion, deactivation), the access
tokens already handed out stop working at once, and refresh tokens issued before it are refused."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import RequestFactory
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import SessionAwareJWTAuthentication
from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/users/me/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


@pytest.fixture(autouse=True)
def _no_auth_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


def login(user, password=DEFAULT_PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": password})
    assert response.status_code == 200, response.json()
    return response.json()


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(token: str):
    return APIClient().post("/api/v1/auth/refresh/", {"refresh": token})


def assert_refused(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_ends_the_access_token_at_once():
    user = UserFactory()
    tokens = login(user)
    client = bearer(tokens["access"])
    assert client.get(ME).status_code == 200
    assert client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204
    assert_refused(client.get(ME))


def test_logout_ends_every_token_issued_before_it_and_a_new_login_works():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    assert bearer(phone["access"]).post("/api/v1/auth/logout/", {"refresh": phone["refresh"]}).status_code == 204
    assert_refused(bearer(laptop["access"]).get(ME))
    stale = refresh(laptop["refresh"])
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "token_invalid"

    again = login(user)
    assert bearer(again["access"]).get(ME).status_code == 200
    rotated = refresh(again["refresh"])
    assert rotated.status_code == 200
    assert bearer(rotated.json()["access"]).get(ME).status_code == 200


def test_password_change_ends_other_sessions_and_its_new_tokens_work():
    user = UserFactory()
    this, other = login(user), login(user)
    response = bearer(this["access"]).post(
        "/api/v1/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200, response.json()
    fresh = response.json()
    assert_refused(bearer(this["access"]).get(ME))
    assert_refused(bearer(other["access"]).get(ME))
    assert refresh(other["refresh"]).status_code == 401

    assert bearer(fresh["access"]).get(ME).status_code == 200
    rotated = refresh(fresh["refresh"])
    assert rotated.status_code == 200
    assert bearer(rotated.json()["access"]).get(ME).status_code == 200


def test_password_reset_ends_the_access_tokens():
    user = UserFactory()
    tokens = login(user)
    user.refresh_from_db()  # the reset token covers last_login, which the login just set
    confirm = APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "new_password": NEW_PASSWORD,
        },
    )
    assert confirm.status_code == 204, confirm.content
    assert_refused(bearer(tokens["access"]).get(ME))
    assert refresh(tokens["refresh"]).status_code == 401
    assert bearer(login(user, NEW_PASSWORD)["access"]).get(ME).status_code == 200


def test_account_deletion_ends_the_access_tokens():
    user = UserFactory()
    tokens = login(user)
    client = bearer(tokens["access"])
    assert client.post("/api/v1/users/me/delete/", {"password": DEFAULT_PASSWORD}).status_code == 204
    assert_refused(client.get(ME))
    assert refresh(tokens["refresh"]).status_code == 401


def test_deactivation_in_the_admin_ends_tokens_for_good():
    """An account deactivated by staff and later reactivated does not bring its old tokens back."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    tokens = login(user)
    admin = APIClient()
    admin.force_login(staff)
    form = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone_number": user.phone_number,
        "is_verified": "on",
    }
    change_url = f"/admin/accounts/user/{user.pk}/change/"
    assert admin.post(change_url, form, format="multipart").status_code == 302  # is_active left out: off
    assert not User.objects.get(pk=user.pk).is_active
    assert admin.post(change_url, {**form, "is_active": "on"}, format="multipart").status_code == 302
    assert User.objects.get(pk=user.pk).is_active

    assert_refused(bearer(tokens["access"]).get(ME))
    assert refresh(tokens["refresh"]).status_code == 401


def test_the_check_costs_no_extra_query(django_assert_num_queries):
    """The user row that authentication loads anyway carries the timestamp."""
    user = UserFactory()
    access = login(user)["access"]
    request = RequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")
    with django_assert_num_queries(1):
        authenticated, _ = SessionAwareJWTAuthentication().authenticate(request)
    assert authenticated.pk == user.pk


def test_the_api_authenticates_with_the_session_aware_class(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "accounts.authentication.SessionAwareJWTAuthentication"
    ]


def test_a_password_set_by_staff_ends_the_sessions():
    staff = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory()
    tokens = login(user)
    admin = APIClient()
    admin.force_login(staff)
    response = admin.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        format="multipart",
    )
    assert response.status_code == 302, response.content[:500]
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert_refused(bearer(tokens["access"]).get(ME))


@pytest.mark.parametrize("claim", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", None, "deleted"])
def test_a_signed_token_naming_no_user_is_401(claim):
    """The user id claim is ours (signed), but a user can be deleted after it was issued; a forged claim shape
    must still be a 401 in the one error shape, never a 500."""
    user = UserFactory()
    token = AccessToken.for_user(user)
    if claim == "deleted":
        User.objects.filter(pk=user.pk).delete()
    elif claim is None:
        del token["user_id"]
    else:
        token["user_id"] = claim
    assert_refused(bearer(str(token)).get(ME))


def test_an_inactive_users_token_is_401():
    user = UserFactory()
    client = bearer(login(user)["access"])
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert_refused(client.get(ME))
