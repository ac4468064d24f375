"""Issue 11: `/metrics` is not public once DEBUG is off: a bearer token (METRICS_TOKEN) or an allowed address
(METRICS_ALLOWED_IPS, single addresses or networks) is needed."""

import pytest

pytestmark = pytest.mark.django_db

METRIC = b"django_http_requests_total_by_method_total"


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []


def test_closed_by_default_when_debug_is_off(client):
    response = client.get("/metrics")
    assert response.status_code in (403, 404)
    assert METRIC not in response.content


def test_a_bearer_token_opens_it(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics").status_code in (403, 404)
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token").status_code in (403, 404)
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-scrape-token").status_code in (403, 404)
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert response.status_code == 200 and METRIC in response.content


def test_an_allowed_address_or_network_opens_it(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "192.0.2.7"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.0.1").status_code in (403, 404)
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.8").status_code in (403, 404)


def test_the_address_is_the_client_behind_trusted_proxies(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # the load balancer (10.20.0.1) forwards an outsider: not allowed
    assert client.get("/metrics", REMOTE_ADDR="10.20.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code in (
        403,
        404,
    )
    assert client.get("/metrics", REMOTE_ADDR="10.20.0.1", HTTP_X_FORWARDED_FOR="10.20.5.5").status_code == 200


def test_open_with_debug_on(client, settings):
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


def test_both_settings_are_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| `METRICS_TOKEN` |" in readme and "| `METRICS_ALLOWED_IPS` |" in readme
