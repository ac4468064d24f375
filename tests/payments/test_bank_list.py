"""`GET banks/available/`: the provider's bank list per country, through the adapters, cached daily."""

from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/banks/available/"


@pytest.fixture
def client():
    api = APIClient()
    api.force_authenticate(UserFactory())
    return api


@pytest.mark.parametrize(("country", "bank"), [("NG", "058"), ("KE", "68"), ("GH", "030100")])
def test_the_sandbox_lists_realistic_banks(client, country, bank):
    answer = client.get(PATH, {"country": country})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["country"], body["provider"]) == (country, "paystack")
    assert bank in [b["code"] for b in body["banks"]]
    names = [b["name"] for b in body["banks"]]
    assert names == sorted(names, key=str.casefold)
    assert client.get(PATH, {"country": country, "provider": "flutterwave"}).json()["banks"] == body["banks"]


def test_country_and_provider_are_checked(client):
    for params in ({}, {"country": "US"}, {"country": "NG", "provider": "mpesa"}):
        answer = client.get(PATH, params)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error", params
    assert APIClient().get(PATH, {"country": "NG"}).status_code == 401


@pytest.fixture
def real_providers(settings):
    settings.PROVIDERS_SANDBOX = False


def paystack_banks(*names):
    return {
        "status": True,
        "message": "Banks retrieved",
        "data": [
            {"name": name, "code": f"{n:03d}", "active": True, "is_deleted": False, "country": "Nigeria"}
            for n, name in enumerate(names, start=1)
        ],
        "meta": {"next": None, "previous": None, "perPage": 100},
    }


@respx.mock
def test_asked_of_paystack_once_a_day_per_country(client, real_providers):
    route = respx.get(f"{settings.PAYSTACK_BASE_URL}/bank").respond(200, json=paystack_banks("Zenith Bank", "Access"))
    first = client.get(PATH, {"country": "NG"}).json()
    assert first["banks"] == [{"code": "002", "name": "Access"}, {"code": "001", "name": "Zenith Bank"}]
    assert client.get(PATH, {"country": "NG"}).json() == first
    assert route.call_count == 1
    client.get(PATH, {"country": "GH"})  # another country, another entry
    assert route.call_count == 2
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        route.respond(200, json=paystack_banks("Access", "Kuda"))
        assert [b["name"] for b in client.get(PATH, {"country": "NG"}).json()["banks"]] == ["Access", "Kuda"]
    assert route.call_count == 3


@respx.mock
def test_a_stale_list_serves_while_the_provider_is_down(client, real_providers):
    route = respx.get(f"{settings.PAYSTACK_BASE_URL}/bank").respond(200, json=paystack_banks("Access"))
    assert client.get(PATH, {"country": "NG"}).status_code == 200
    route.side_effect = httpx.ConnectError("down")
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert client.get(PATH, {"country": "NG"}).json()["banks"] == [{"code": "001", "name": "Access"}]
        down = client.get(PATH, {"country": "KE"})  # never listed: nothing to serve
    assert down.status_code == 503 and down.json()["error"]["code"] == "provider_unavailable"


@respx.mock
def test_flutterwave_list_is_its_own(client, real_providers):
    respx.get(f"{settings.FLUTTERWAVE_BASE_URL}/banks/KE").respond(
        200,
        json={
            "status": "success",
            "message": "Banks fetched successfully",
            "data": [{"id": 1, "code": "68", "name": "Equity Bank"}, {"id": 2, "code": "01", "name": "KCB Bank"}],
        },
    )
    body = client.get(PATH, {"country": "KE", "provider": "flutterwave"}).json()
    assert body["banks"] == [{"code": "68", "name": "Equity Bank"}, {"code": "01", "name": "KCB Bank"}]
