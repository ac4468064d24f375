import logging
import re

import pytest

from config.celery import REQUEST_ID_TASK_HEADER, carry_request_id, forget_request_id, restore_request_id
from config.request_context import request_id_var

pytestmark = pytest.mark.django_db


def test_request_id_is_honoured_and_echoed(api_client):
    response = api_client.get("/api/v1/health/", HTTP_X_REQUEST_ID="lb-1234.abc")
    assert response["X-Request-ID"] == "lb-1234.abc"


def test_request_id_is_generated_when_absent(api_client):
    first = api_client.get("/api/v1/health/")["X-Request-ID"]
    second = api_client.get("/api/v1/health/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.parametrize("offered", ["has spaces", "x" * 200, 'quote"injection', "new\\nline"])
def test_unsafe_request_id_is_replaced(api_client, offered):
    response = api_client.get("/api/v1/health/", HTTP_X_REQUEST_ID=offered)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_id_on_errors_too(api_client):
    response = api_client.get("/api/v1/nowhere/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404 and response["X-Request-ID"] == "req-404"


def test_access_log_line_has_request_user_method_path_status_duration(auth_client, user, caplog):
    with caplog.at_level(logging.INFO, logger="pamoja.access"):
        auth_client.get("/api/v1/users/me/", HTTP_X_REQUEST_ID="req-access-1")
    (record,) = [r for r in caplog.records if r.name == "pamoja.access"]
    assert record.method == "GET"
    assert record.path == "/api/v1/users/me/"
    assert record.status == 200
    assert record.duration_ms >= 0
    assert record.request_id == "req-access-1"
    assert record.user_id == str(user.pk)


def test_security_headers(api_client):
    response = api_client.get("/api/v1/health/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_cors_lets_the_spa_send_our_headers_and_read_the_request_id(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.pamoja.africa"]
    preflight = api_client.options(
        "/api/v1/auth/login/",
        HTTP_ORIGIN="https://app.pamoja.africa",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key, x-pin-token",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.pamoja.africa"
    allowed = preflight["Access-Control-Allow-Headers"].lower()
    assert "idempotency-key" in allowed and "x-pin-token" in allowed
    response = api_client.get("/api/v1/health/", HTTP_ORIGIN="https://app.pamoja.africa")
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in api_client.get("/api/v1/health/", HTTP_ORIGIN="https://evil.example")


def test_tasks_carry_the_request_id_into_the_worker():
    from types import SimpleNamespace

    token = request_id_var.set("req-task-1")
    headers: dict = {}
    carry_request_id(headers=headers)
    request_id_var.reset(token)
    assert headers == {REQUEST_ID_TASK_HEADER: "req-task-1"}

    task = SimpleNamespace(request=SimpleNamespace(**headers))  # how the worker sees the message's headers
    restore_request_id(task=task)
    assert request_id_var.get() == "req-task-1"
    forget_request_id(task=task)
    assert request_id_var.get() is None

    outer = request_id_var.set("req-outer")  # an eager task inside a request keeps the request's id
    plain = SimpleNamespace(request=SimpleNamespace())
    restore_request_id(task=plain)
    forget_request_id(task=plain)
    assert request_id_var.get() == "req-outer"
    request_id_var.reset(outer)
