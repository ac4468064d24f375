import pytest

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_health_answers_without_auth(api_client):
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_checks_database_broker_and_cache(api_client):
    response = api_client.get("/api/v1/ready/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}


def test_ready_is_503_naming_an_unreachable_broker(api_client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own settings. The setting is patched first:
    # patched after the environment, it would read (and "restore") the unreachable URL, which then leaked into
    # every later test of the process.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    response = api_client.get("/api/v1/ready/")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert "broker" in error["message"]
    assert error["details"]["checks"] == {"database": "ok", "broker": "unreachable", "cache": "ok"}


def test_ready_is_503_naming_a_failing_cache(api_client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    response = api_client.get("/api/v1/ready/")
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"]["cache"] == "unreachable"


def test_probes_are_never_throttled(api_client, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "1/min")
    assert all(api_client.get("/api/v1/health/").status_code == 200 for _ in range(3))


def test_metrics_are_exported(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]  # DEBUG is off under pytest: the scraper's address is allowed
    client.get("/api/v1/health/")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus text export (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_each_request_counts_in_the_series_we_watch(client, settings):
    """The lean request middleware (config.metrics) keeps requests by method and view, responses by status, view and
    method, and latency by view and method, counting each request once."""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    def scrape() -> str:
        return client.get("/metrics").content.decode()

    before = scrape()
    for _ in range(3):
        client.get("/api/v1/health/")
    client.get("/api/v1/no-such-thing/")
    after = scrape()
    for name, labels, grew in [
        ("django_http_responses_total_by_status_view_method_total", {"status": "200", "view": "health"}, 3),
        ("django_http_requests_total_by_view_transport_method_total", {"view": "health", "method": "GET"}, 3),
        ("django_http_requests_latency_seconds_by_view_method_count", {"view": "health", "method": "GET"}, 3),
        ("django_http_responses_total_by_status_total", {"status": "404"}, 1),
    ]:
        assert _sample(after, name, **labels) - _sample(before, name, **labels) == grew, name
    # by method: the three health requests, the 404 and the second scrape itself (counted before it is exported)
    assert (
        _sample(after, "django_http_requests_total_by_method_total", method="GET")
        - _sample(before, "django_http_requests_total_by_method_total", method="GET")
        == 5
    )
