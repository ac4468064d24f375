"""Loyalty tenants through the API: a business and its staff, roles, integrators' signed API keys, customers; and
isolation: another tenant's objects are "not found" through every endpoint."""

import json
import time
import uuid

import pytest
from rest_framework.test import APIClient

from loyalty.models import ApiKey, Customer
from loyalty.services.tenants import request_signature
from loyalty.tenancy import all_tenants
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/loyalty/tenants/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def make_tenant(client, name="Mbare Grocers", **extra) -> dict:
    body = {"name": name, "currency": "USD", "time_zone": "Africa/Harare", **extra}
    response = client.post(BASE, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def rows(model) -> int:
    with all_tenants():
        return model.objects.count()


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def shop(owner):
    return make_tenant(client_for(owner))


def signed(client, method, path, key, secret, body=None, *, timestamp=None):
    raw = json.dumps(body).encode() if body is not None else b""
    stamp = str(timestamp or int(time.time()))
    signature = request_signature(secret=secret, timestamp=stamp, method=method, path=path, body=raw)
    headers = {"HTTP_X_API_KEY": key, "HTTP_X_TIMESTAMP": stamp, "HTTP_X_SIGNATURE": signature}
    call = getattr(client, method.lower())
    return call(path, data=raw, content_type="application/json", **headers) if raw else call(path, **headers)


def test_a_tenant_is_created_and_its_creator_is_admin(owner, shop):
    assert shop["currency"] == "USD" and shop["role"] == "admin" and shop["display_name"] == "Mbare Grocers"
    listed = client_for(owner).get(BASE).json()
    assert [t["id"] for t in listed] == [shop["id"]]
    assert client_for(UserFactory()).get(BASE).json() == []
    bad = client_for(owner).post(BASE, {"name": "X", "currency": "USD", "time_zone": "Mars/Base"}, format="json")
    assert bad.status_code == 400 and "time_zone" in bad.json()["error"]["details"]


def test_roles_decide_who_reads_and_who_writes(owner, shop):
    admin = client_for(owner)
    manager_user, viewer_user = UserFactory(), UserFactory()
    for user, role in ((manager_user, "manager"), (viewer_user, "viewer")):
        added = admin.post(f"{BASE}{shop['id']}/staff/", {"email": user.email, "role": role}, format="json")
        assert added.status_code == 201, added.json()
    viewer, manager = client_for(viewer_user), client_for(manager_user)

    assert viewer.get(f"{BASE}{shop['id']}/customers/").status_code == 200
    refused = viewer.post(f"{BASE}{shop['id']}/customers/", {"phone": "+263771234567"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert rows(Customer) == 0
    assert manager.post(f"{BASE}{shop['id']}/customers/", {"phone": "+263771234567"}, format="json").status_code == 201
    assert manager.get(f"{BASE}{shop['id']}/staff/").status_code == 403  # staff and keys are the admin's
    assert manager.post(f"{BASE}{shop['id']}/api-keys/", {}, format="json").status_code == 403
    assert viewer.patch(f"{BASE}{shop['id']}/", {"name": "Mine now"}, format="json").status_code == 403

    staff = admin.get(f"{BASE}{shop['id']}/staff/").json()
    me = next(s for s in staff if s["email"] == owner.email)
    last_admin = admin.patch(f"{BASE}{shop['id']}/staff/{me['id']}/", {"role": "viewer"}, format="json")
    assert last_admin.status_code == 400  # a tenant keeps one admin
    stranger = admin.post(f"{BASE}{shop['id']}/staff/", {"email": "nobody@example.com", "role": "viewer"})
    assert stranger.status_code == 404


def test_another_tenants_objects_are_not_found(owner, shop):
    other_owner = UserFactory()
    other = make_tenant(client_for(other_owner), name="Other")
    admin = client_for(owner)
    customer = admin.post(f"{BASE}{shop['id']}/customers/", {"phone": "+263771234567"}, format="json").json()
    key = admin.post(f"{BASE}{shop['id']}/api-keys/", {"name": "till"}, format="json").json()

    intruder = client_for(other_owner)
    for path in (
        f"{BASE}{shop['id']}/",
        f"{BASE}{shop['id']}/customers/",
        f"{BASE}{shop['id']}/customers/{customer['id']}/",
        f"{BASE}{shop['id']}/staff/",
        f"{BASE}{shop['id']}/api-keys/",
    ):
        response = intruder.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    assert intruder.patch(f"{BASE}{shop['id']}/customers/{customer['id']}/", {"status": "suspended"}).status_code == 404
    assert intruder.post(f"{BASE}{shop['id']}/api-keys/{key['id']}/revoke/").status_code == 404
    # the other tenant's own URL with this tenant's ids: not found either
    assert intruder.get(f"{BASE}{other['id']}/customers/{customer['id']}/").status_code == 404
    assert intruder.post(f"{BASE}{other['id']}/api-keys/{key['id']}/revoke/").status_code == 404
    with all_tenants():
        assert ApiKey.objects.get(pk=key["id"]).revoked_at is None
    assert client_for(owner).get(f"{BASE}{uuid.uuid4()}/").status_code == 404


def test_an_api_key_signs_requests_for_its_own_tenant_only(owner, shop):
    admin = client_for(owner)
    made = admin.post(f"{BASE}{shop['id']}/api-keys/", {"name": "till 1"}, format="json").json()
    assert made["secret"].startswith("lsk_") and made["active"] is True
    assert "secret" not in admin.get(f"{BASE}{shop['id']}/api-keys/").json()[0]

    path = f"{BASE}{shop['id']}/customers/"
    integrator = APIClient()
    created = signed(integrator, "POST", path, made["key_id"], made["secret"], {"phone": "+263771234567"})
    assert created.status_code == 201, created.json()
    assert created.json()["channel"] == "api"
    assert signed(integrator, "GET", path, made["key_id"], made["secret"]).json()["count"] == 1

    wrong = signed(integrator, "GET", path, made["key_id"], "lsk_not-the-secret")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "not_authenticated"
    stale = signed(integrator, "GET", path, made["key_id"], made["secret"], timestamp=int(time.time()) - 301)
    assert stale.status_code == 401
    # a body signed for one endpoint does not pass on another
    raw = json.dumps({"phone": "+263771234568"}).encode()
    stamp = str(int(time.time()))
    signature = request_signature(secret=made["secret"], timestamp=stamp, method="POST", path=path, body=raw)
    tampered = integrator.post(
        path,
        data=json.dumps({"phone": "+263771234569"}),
        content_type="application/json",
        HTTP_X_API_KEY=made["key_id"],
        HTTP_X_TIMESTAMP=stamp,
        HTTP_X_SIGNATURE=signature,
    )
    assert tampered.status_code == 401 and rows(Customer) == 1

    other = make_tenant(client_for(UserFactory()), name="Other")
    elsewhere = signed(integrator, "GET", f"{BASE}{other['id']}/customers/", made["key_id"], made["secret"])
    assert elsewhere.status_code == 401
    staff_only = signed(integrator, "GET", f"{BASE}{shop['id']}/api-keys/", made["key_id"], made["secret"])
    assert staff_only.status_code == 403


def test_two_keys_at_once_for_rotation(owner, shop):
    admin = client_for(owner)
    first = admin.post(f"{BASE}{shop['id']}/api-keys/", {}, format="json").json()
    second = admin.post(f"{BASE}{shop['id']}/api-keys/", {}, format="json").json()
    third = admin.post(f"{BASE}{shop['id']}/api-keys/", {}, format="json")
    assert third.status_code == 409
    path = f"{BASE}{shop['id']}/customers/"
    for key in (first, second):
        assert signed(APIClient(), "GET", path, key["key_id"], key["secret"]).status_code == 200
    revoked = admin.post(f"{BASE}{shop['id']}/api-keys/{first['id']}/revoke/").json()
    assert revoked["active"] is False
    assert signed(APIClient(), "GET", path, first["key_id"], first["secret"]).status_code == 401
    assert admin.post(f"{BASE}{shop['id']}/api-keys/", {}, format="json").status_code == 201


def test_customers_are_enrolled_found_and_changed(owner, shop):
    admin = client_for(owner)
    path = f"{BASE}{shop['id']}/customers/"
    first = admin.post(path, {"phone": "+263 77 123 4567", "external_ref": "C-1"}, format="json")
    assert first.status_code == 201 and first.json()["phone"] == "+263771234567"
    assert first.json()["status"] == "active" and first.json()["points"] == 0 and first.json()["channel"] == "staff"
    again = admin.post(path, {"phone": "+263771234567"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    same_ref = admin.post(path, {"phone": "+263771234568", "external_ref": "C-1"}, format="json")
    assert same_ref.status_code == 409
    bad = admin.post(path, {"phone": "0771234567"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["error"]["details"]
    admin.post(path, {"phone": "+263771234569"}, format="json")

    assert admin.get(path + "?search=C-1").json()["count"] == 1
    assert admin.get(path + "?search=4569").json()["count"] == 1
    customer_id = first.json()["id"]
    changed = admin.patch(f"{path}{customer_id}/", {"status": "suspended"}, format="json")
    assert changed.status_code == 200 and changed.json()["status"] == "suspended"
    assert admin.get(path + "?status=suspended").json()["count"] == 1
    assert admin.get(path + "?status=gone").status_code == 400
    assert admin.get(f"{path}{2**70}/").status_code == 404
    # the same phone in another tenant is another customer
    other = make_tenant(client_for(owner), name="Second shop")
    assert admin.post(f"{BASE}{other['id']}/customers/", {"phone": "+263771234567"}, format="json").status_code == 201
