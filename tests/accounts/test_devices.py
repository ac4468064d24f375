import pytest
from rest_framework.test import APIClient

from accounts.models import Device
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_register_list_and_unregister():
    user = UserFactory()
    client = client_for(user)
    created = client.post("/api/v1/devices/", {"fcm_token": "fcm-abc", "platform": "android", "name": "Tecno"})
    assert created.status_code == 201
    assert [d["fcm_token"] for d in client.get("/api/v1/devices/").json()] == ["fcm-abc"]
    assert client.delete(f"/api/v1/devices/{created.json()['id']}/").status_code == 204
    assert not Device.objects.exists()


def test_a_token_moves_to_its_new_user_and_strangers_cannot_delete():
    first, second = UserFactory(), UserFactory()
    device_id = client_for(first).post("/api/v1/devices/", {"fcm_token": "shared", "platform": "ios"}).json()["id"]
    client_for(second).post("/api/v1/devices/", {"fcm_token": "shared", "platform": "ios"})
    assert Device.objects.get().user == second
    assert client_for(first).delete(f"/api/v1/devices/{device_id}/").status_code == 404
    assert client_for(first).post("/api/v1/devices/", {"fcm_token": "x", "platform": "nokia"}).status_code == 400
