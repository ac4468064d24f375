"""What the SPA sees: the in-app list, marking read, the unread count and preferences."""

import pytest
from rest_framework.test import APIClient

from notifications import services
from notifications.catalog import EVENTS
from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def tell(user, event="transfer_received", **context):
    return services.notify(user=user, event=event, context={**EVENTS[event].example, **context})


def test_the_list_is_mine_newest_first_and_filters_unread():
    me, other = UserFactory(), UserFactory()
    first, second = tell(me), tell(me, "deposit_credited")
    tell(other)
    services.notify(user=me, event="password_reset", context={"link": "https://x/reset"})  # email only: not listed
    services.mark_read(user=me, ids=[first.pk])
    client = client_for(me)
    listed = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in listed["results"]] == [second.pk, first.pk]
    row = listed["results"][0]
    assert row["title"] == "KES 1,000.00 added to your wallet" and row["type"] == "success" and row["link"] == "/wallet"
    assert row["read_at"] is None and row["category"] == "wallet" and row["data"]["amount"] == "KES 1,000.00"
    unread = client.get("/api/v1/notifications/?unread=true").json()
    assert [row["id"] for row in unread["results"]] == [second.pk]
    assert client.get("/api/v1/notifications/?unread=false").json()["results"][0]["id"] == first.pk
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_mark_some_or_all_read_and_the_count_follows():
    me, other = UserFactory(), UserFactory()
    mine = [tell(me) for _ in range(3)]
    theirs = tell(other)
    client = client_for(me)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}
    marked = client.post("/api/v1/notifications/read/", {"ids": [mine[0].pk, theirs.pk]}, format="json")
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 0}
    assert client.post("/api/v1/notifications/read/", {"ids": [], "all": True}, format="json").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    "body",
    [{"ids": "1"}, {"ids": [0]}, {"all": "yes"}, {"ids": [1] * 501}, {"ids": [None]}],
)
def test_mark_read_refuses_what_it_cannot_read(body):
    me = UserFactory()
    tell(me)
    answer = client_for(me).post("/api/v1/notifications/read/", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/notifications/").status_code == 401
    assert APIClient().get("/api/v1/notifications/unread-count/").status_code == 401


def test_preferences_default_then_change_and_quiet_hours():
    me = UserFactory()
    client = client_for(me)
    start = client.get("/api/v1/notifications/preferences/").json()
    assert start["categories"]["groups"] == {"push": True, "sms": False, "email": True}
    assert start["quiet_hours"] is None
    changed = client.patch(
        "/api/v1/notifications/preferences/",
        {
            "categories": {"groups": {"sms": True}, "loyalty": {"push": False, "sms": False}},
            "quiet_hours": {"starts": "22:00", "ends": "06:00", "time_zone": "Africa/Lagos"},
        },
        format="json",
    ).json()
    assert changed["categories"]["groups"] == {"push": True, "sms": True, "email": True}
    assert changed["categories"]["loyalty"] == {"push": False, "sms": False, "email": False}
    assert changed["quiet_hours"] == {"starts": "22:00", "ends": "06:00", "time_zone": "Africa/Lagos"}
    cleared = client.patch("/api/v1/notifications/preferences/", {"quiet_hours": None}, format="json").json()
    assert cleared["quiet_hours"] is None and cleared["categories"]["groups"]["sms"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"categories": {"groups": {"push": "off"}}},
        {"quiet_hours": {"starts": "7:00", "ends": "06:00"}},
        {"categories": {"groups": {"sms": "no"}}},
        {"quiet_hours": {"starts": "22:00", "ends": "22:00"}},
        {"quiet_hours": {"starts": "25:00", "ends": "06:00"}},
        {"quiet_hours": {"starts": "22:00", "ends": "06:00", "time_zone": "Mars/Olympus"}},
        {"categories": []},
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(body):
    me = UserFactory()
    client = client_for(me)
    before = client.get("/api/v1/notifications/preferences/").json()
    answer = client.patch("/api/v1/notifications/preferences/", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert client.get("/api/v1/notifications/preferences/").json() == before


def test_security_cannot_be_switched_off():
    client = client_for(UserFactory())
    answer = client.patch(
        "/api/v1/notifications/preferences/", {"categories": {"security": {"sms": False}}}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["categories"]["security"] == {"push": True, "sms": True, "email": True}
