"""Every error leaves the API in one shape: {"error": {"code", "message", "details"}}."""

import logging

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

import accounts.errors  # noqa: F401  (registers its subclasses)
from accounts.models import User
from core.errors import DRF_ERROR_CODES, ApplicationError, exception_handler

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.platform.urls")]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def test_validation_error_lists_each_field(api_client):
    error = assert_error(api_client.post("/api/v1/auth/login/", {"email": "not-an-email"}), 400, "validation_error")
    assert set(error["details"]) == {"email", "password"}
    assert error["details"]["password"] == ["This field is required."]


def test_malformed_json_is_a_parse_error(api_client):
    response = api_client.post("/api/v1/auth/login/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_unauthenticated_is_401_with_challenge(api_client):
    response = api_client.get("/api/v1/users/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_error(api_client.get("/api/v1/users/me/"), 401, "not_authenticated")


def test_permission_denied_is_403(api_client):
    assert_error(api_client.get("/api/v1/test/forbidden/"), 403, "permission_denied")


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v2/users/", "/api/v1/users/me/extra/"])
def test_unknown_api_url_is_404(api_client, path):
    assert_error(api_client.get(path), 404, "not_found")


def test_http404_from_a_view_does_not_echo_its_message(api_client):
    error = assert_error(api_client.get("/api/v1/test/missing/"), 404, "not_found")
    assert "42" not in error["message"]


def test_wrong_method_is_405(api_client):
    assert_error(api_client.get("/api/v1/auth/login/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_415(api_client):
    response = api_client.post(
        "/api/v1/auth/login/", data="email=a@b.co", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_throttled_is_429_with_retry_after(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    body = {"email": "someone@example.com", "password": "wrong-password-1"}
    for _ in range(2):
        assert api_client.post("/api/v1/auth/login/", body).status_code == 401
    response = api_client.post("/api/v1/auth/login/", body)
    error = assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    assert error["details"]["retry_after"] == int(response["Retry-After"])


def test_domain_error_carries_its_code_status_and_details(api_client):
    error = assert_error(api_client.post("/api/v1/test/domain-error/"), 422, "insufficient_funds")
    assert error["details"] == {"available": "10.00", "currency": "KES"}


def test_unexpected_exception_is_500_without_internals_and_is_logged(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="pamoja.errors"):
        response = api_client.get("/api/v1/test/boom/", HTTP_X_REQUEST_ID="req-boom-1")
    error = assert_error(response, 500, "server_error")
    assert error["details"] == {"request_id": "req-boom-1"}
    text = response.content.decode()
    for leak in ("hunter2", "10.0.0.5", "RuntimeError", "Traceback", "exploded"):
        assert leak not in text
    logged = [r for r in caplog.records if r.name == "pamoja.errors"]
    assert logged and logged[0].exc_info is not None


def test_failure_outside_drf_is_500_in_the_same_shape():
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test/plain-boom/", HTTP_X_REQUEST_ID="req-plain-2")
    error = assert_error(response, 500, "server_error")
    assert error["details"] == {"request_id": "req-plain-2"}
    assert "internal detail" not in response.content.decode()


def test_unknown_url_outside_api_is_django_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_pagination_shape_and_page_size_cap(auth_client):
    User.objects.bulk_create(User(email=f"bulk{n}@example.com") for n in range(104))
    body = auth_client.get("/api/v1/test/users/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 105 and len(body["results"]) == 2
    assert "page=2" in body["next"] and body["previous"] is None
    assert len(auth_client.get("/api/v1/test/users/").json()["results"]) == 20
    assert len(auth_client.get("/api/v1/test/users/", {"page_size": 1000}).json()["results"]) == 100
    assert_error(auth_client.get("/api/v1/test/users/", {"page": 99}), 404, "not_found")


def test_readme_lists_every_error_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    codes = {cls.code for cls in subclasses(ApplicationError)} | set(DRF_ERROR_CODES.values()) | {"server_error"}
    for code in codes:
        assert f"| `{code}` |" in readme, f"README.md's error table lacks {code}"


def test_a_model_validation_error_from_a_service_is_a_400_not_a_500():
    from django.core.exceptions import ValidationError

    answer = exception_handler(ValidationError({"time_zone": ["Unknown zone."]}), {})
    assert answer.status_code == 400
    assert answer.data["error"]["code"] == "validation_error"
    assert answer.data["error"]["details"] == {"time_zone": ["Unknown zone."]}
    plain = exception_handler(ValidationError("Nope."), {})
    assert plain.status_code == 400 and plain.data["error"]["message"] == "Nope."
