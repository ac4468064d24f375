"""Issue 11: authenticated answers are never stored by caches (`Cache-Control: no-store`); every answer carries a
Content-Security-Policy: the strictest for the API, one that allows only our own files for the HTML pages."""

import re

import pytest
from rest_framework.test import APIClient

from config.security_headers import SecurityHeadersMiddleware
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def signed_in(user) -> APIClient:
    access = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access['access']}")
    return client


def test_an_authenticated_answer_is_no_store_with_the_api_policy():
    response = signed_in(UserFactory()).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"] == API_POLICY


def test_an_error_to_a_request_with_credentials_is_no_store_too():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_a_force_authenticated_user_counts_as_signed_in():
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert "no-store" in client.get("/api/v1/users/me/")["Cache-Control"]


def test_a_public_anonymous_answer_stays_cacheable_but_has_the_policy(client):
    response = client.get("/api/v1/health/")
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Content-Security-Policy"] == API_POLICY


def test_admin_pages_allow_only_our_own_files(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"])
    assert "'unsafe-eval'" not in policy.get("script-src", policy["default-src"])


def test_a_signed_in_admin_page_is_no_store(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_render_under_their_policy(client, page):
    """Every script the page runs is one of our own files: no inline script, which the policy would block."""
    response = client.get(page)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"])
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
    assert scripts
    for attributes, body in scripts:
        assert not body.strip(), f"inline script on {page}: {body[:80]}"
        src = re.search(r'src="([^"]+)"', attributes).group(1).replace("&amp;", "&")
        assert src.startswith("/"), src  # same origin: 'self'
        fetched = client.get(src)
        assert fetched.status_code == 200, src
        if not src.startswith("/static/"):
            assert fetched["Content-Type"].startswith("application/javascript")
            assert b"SwaggerUIBundle" in fetched.content
    for sources in policy.values():  # no third-party host anywhere: the docs are served locally
        assert all(source.startswith("'") or source in ("data:", "blob:") for source in sources), sources


def test_the_policy_set_by_a_view_is_kept(settings):
    from django.http import HttpResponse
    from django.test import RequestFactory

    def view(request):
        response = HttpResponse("<p>hi</p>")
        response["Content-Security-Policy"] = "default-src 'self' https://example.com"
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/custom/"))
    assert response["Content-Security-Policy"] == "default-src 'self' https://example.com"
