"""Sentry is off unless SENTRY_DSN is set, and what it sends carries no request body, no credentials and no secrets."""

import json

import pytest
import sentry_sdk
from django.test import Client
from sentry_sdk.transport import Transport

from config.sentry import before_send, init_sentry
from tests.platform.test_settings import manage

SECRET_HEADERS = {
    "HTTP_AUTHORIZATION": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl",
    "HTTP_X_PIN_TOKEN": "pin-token-123",
    "HTTP_COOKIE": "sessionid=abc; csrftoken=def",
    "HTTP_X_API_KEY": "lk_live_123",
}


def test_before_send_drops_bodies_credentials_and_redacts_the_rest():
    event = {
        "request": {
            "url": "https://api.pamoja.africa/api/v1/auth/login/",
            "method": "POST",
            "data": {"email": "a@b.co", "password": "hunter2hunter2"},
            "cookies": {"sessionid": "abc"},
            "query_string": "token=abc123&page=2",
            "headers": {
                "Authorization": "Bearer abc",
                "X-Pin-Token": "pin-token",
                "Cookie": "sessionid=abc",
                "X-Api-Key": "lk_live_1",
                "X-Signature": "deadbeef",
                "Content-Type": "application/json",
                "X-Request-ID": "req-1",
            },
        },
        "extra": {"pin": "1234", "note": "card 4111 1111 1111 1111"},
        "logentry": {"message": "login with password=hunter2 failed", "params": ["hunter2"]},
        "breadcrumbs": {"values": [{"message": "Bearer abc.def.ghi sent", "data": {"otp": "123456"}}]},
        "exception": {"values": [{"type": "RuntimeError", "value": "db password=hunter2 exploded"}]},
    }
    scrubbed = before_send(event, {})
    request = scrubbed["request"]
    assert "data" not in request and "cookies" not in request
    assert request["headers"] == {"Content-Type": "application/json", "X-Request-ID": "req-1"}
    assert "abc123" not in request["query_string"] and "page=2" in request["query_string"]
    assert scrubbed["extra"] == {"pin": "[REDACTED]", "note": "card [REDACTED]"}
    assert "hunter2" not in json.dumps(scrubbed)
    assert "params" not in scrubbed["logentry"]
    assert scrubbed["breadcrumbs"]["values"][0] == {"message": "Bearer [REDACTED] sent", "data": {"otp": "[REDACTED]"}}


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope):
        event = envelope.get_event()
        if event is not None:
            self.events.append(event)


@pytest.mark.django_db
@pytest.mark.urls("tests.platform.urls")
def test_a_crash_reaches_sentry_without_body_or_credentials(monkeypatch):
    """The real SDK with our options (Django integration), a failing view, and what would have left the process."""
    options: dict = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: options.update(kwargs))
    init_sentry(dsn="https://public@o0.ingest.invalid/1", environment="test", release="abc123", traces_sample_rate=0)
    monkeypatch.undo()
    assert options["send_default_pii"] is False and options["before_send"] is before_send

    transport = CapturingTransport()
    sentry_sdk.init(**{**options, "transport": transport})
    try:
        response = Client(raise_request_exception=False).post(
            "/api/v1/test/plain-boom/?token=qs-tok-55",
            data=json.dumps({"email": "kamau@example.co.ke", "password": "body-pw-7f3a", "pin": "8642"}),
            content_type="application/json",
            **SECRET_HEADERS,
        )
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)  # no client: the integrations' hooks do nothing again
    assert response.status_code == 500
    crashes = [event for event in transport.events if event.get("exception")]
    assert crashes and crashes[0]["exception"]["values"][-1]["type"] == "RuntimeError"
    assert (crashes[0]["environment"], crashes[0]["release"]) == ("test", "abc123")
    sent = json.dumps(transport.events)  # everything that would have left, not only the crash
    secrets = ("body-pw-7f3a", "8642", "kamau@", "pin-token-123", "sessionid", "lk_live_123", "eyJhbGci", "qs-tok-55")
    for secret in secrets:
        assert secret not in sent, secret
    for event in transport.events:
        request = event.get("request", {})
        assert "data" not in request
        assert not {name.lower() for name in request.get("headers", {})} & {"authorization", "x-pin-token", "cookie"}
        assert not event.get("user", {}).get("ip_address")


def test_settings_start_sentry_only_with_a_dsn():
    code = (
        "import sentry_sdk; c = sentry_sdk.get_client(); o = c.options;"
        "print(c.is_active(), o['send_default_pii'], o['environment'], o['release'],"
        " getattr(o['before_send'], '__module__', None),"
        " sorted(i for i in c.integrations if i in ('django', 'celery')))"
    )
    off = manage("shell", "-c", code, DEBUG="true", SENTRY_DSN="")
    assert off.stdout.strip().splitlines()[-1].startswith("False"), off.stderr
    on = manage(
        "shell",
        "-c",
        code,
        DEBUG="true",
        SENTRY_DSN="https://public@o0.ingest.invalid/1",
        SENTRY_ENVIRONMENT="staging",
        SENTRY_RELEASE="",
        RENDER_GIT_COMMIT="0a1b2c3",
    )
    assert on.stdout.strip().splitlines()[-1] == "True False staging 0a1b2c3 config.sentry ['celery', 'django']", (
        on.stdout + on.stderr
    )
