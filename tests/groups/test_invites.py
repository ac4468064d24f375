"""Officials invite people to a forming group by email or phone: a Pamoja user is told in the app, anyone else
gets the code by email or SMS; the same answer either way, one invite per group and address."""

import pytest

from notifications.models import Delivery, Notification
from tests.factories import UserFactory
from tests.fixtures.groups import CHAMA, NAIROBI, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def forming(forming_group):
    group, people = forming_group(size=2, **CHAMA)
    return group, people


def invite(person, group, **body):
    return person.post(f"groups/{group['id']}/invites/", body)


def test_a_pamoja_user_is_told_in_the_app_once(forming):
    group, (chair, _member) = forming
    friend = UserFactory(email="wanjiku@example.com")
    for _ in range(2):
        assert invite(chair, group, email="Wanjiku@Example.com").status_code == 202
    (note,) = Notification.objects.filter(user=friend, event="group_invite")
    assert note.context["invite_code"] == group["invite_code"] and note.link == f"/invites/{group['invite_code']}"
    assert not Delivery.objects.filter(notification__isnull=True).exists()


def test_someone_without_an_account_gets_the_code_by_email_or_sms(forming):
    group, (chair, _member) = forming
    assert invite(chair, group, email="new@example.com").status_code == 202
    assert invite(chair, group, email="new@example.com").status_code == 202
    assert invite(chair, group, phone_number="+254 722 123 456").status_code == 202
    emailed = Delivery.objects.get(channel="email", event="group_invite")
    texted = Delivery.objects.get(channel="sms", event="group_invite")
    assert emailed.address == "new@example.com" and texted.address == "+254722123456"
    assert not Notification.objects.filter(event="group_invite").exists()


def test_a_member_already_in_the_group_is_not_invited(forming):
    group, (chair, member) = forming
    assert invite(chair, group, email=member.user.email).status_code == 202
    assert not Notification.objects.filter(event="group_invite").exists()


def test_only_officials_invite_and_only_while_forming(forming, started_group):
    group, (_chair, member) = forming
    refused = invite(member, group, email="x@example.com")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "officials_only"
    with at("2026-12-01T10:00", NAIROBI):
        running, (chair, *_rest) = started_group(size=2, funded="100.00", **CHAMA)
    late = invite(chair, running, email="x@example.com")
    assert late.status_code == 409 and late.json()["error"]["code"] == "group_state"


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}, {"phone_number": "12"}, {"email": ""}])
def test_bad_invites_are_400_and_send_nothing(forming, body):
    group, (chair, _member) = forming
    answer = invite(chair, group, **body)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert not Delivery.objects.exists() and not Notification.objects.filter(event="group_invite").exists()
