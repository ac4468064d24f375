import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, user, password=DEFAULT_PASSWORD):
    return client.post("/api/v1/auth/login/", {"email": user.email.upper(), "password": password})


def test_login_returns_tokens_and_user(api_client, user):
    response = login(api_client, user)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {"access", "refresh", "user"} <= set(body)
    assert body["user"]["id"] == str(user.pk) and body["user"]["email"] == user.email

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["email"] == user.email


def test_wrong_password_is_refused(api_client, user):
    response = login(api_client, user, password="not-the-password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client, user):
    first = login(api_client, user).json()["refresh"]
    rotated = api_client.post("/api/v1/auth/refresh/", {"refresh": first})
    assert rotated.status_code == 200
    assert {"access", "refresh"} <= set(rotated.json()) and rotated.json()["refresh"] != first

    reused = api_client.post("/api/v1/auth/refresh/", {"refresh": first})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_invalid"


def test_a_reused_refresh_token_ends_its_family_only(api_client, user):
    stolen = login(api_client, user).json()["refresh"]
    other_login = login(api_client, user).json()["refresh"]  # another device: another family
    legit = api_client.post("/api/v1/auth/refresh/", {"refresh": stolen}).json()["refresh"]
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": stolen}).status_code == 401  # the thief replays
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": legit}).status_code == 401  # the line is ended
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": other_login}).status_code == 200


def test_logout_blacklists_the_refresh_token(api_client, user):
    tokens = login(api_client, user).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 204
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_refuses_someone_elses_token(api_client, user):
    other = UserFactory()
    other_refresh = login(api_client, other).json()["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(api_client, user).json()['access']}")
    response = api_client.post("/api/v1/auth/logout/", {"refresh": other_refresh})
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"
    assert not BlacklistedToken.objects.exists()


def test_seed_demo_is_idempotent_and_prints_the_staff_login(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    people = User.objects.count()
    call_command("seed_demo", stdout=out)
    assert User.objects.filter(is_staff=True).count() == 1
    assert User.objects.count() == people  # the admin and the demo members (tests/platform/test_demo_tour.py)
    assert "admin@pamoja.local" in out.getvalue()
