"""Staff see groups in the admin (read-only); groups block account deletion and appear in the data export; the
demo seed makes a group once."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from config.services import seed_demo_data
from groups.models import SavingsGroup
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.fixtures.groups import at

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/groups/savingsgroup/",
    "/admin/groups/membership/",
    "/admin/contributions/contribution/",
    "/admin/contributions/cycle/",
    "/admin/contributions/penalty/",
    "/admin/contributions/payout/",
    "/admin/contributions/loan/",
    "/admin/groups/meeting/",
    "/admin/contributions/recordedpayment/",
]


def test_staff_see_groups_and_their_money_read_only(started_group, forming_group):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=2, security_deposit="0.00")
        people[0].pay(next(c for c in people[0].contributions(group["id"]) if c["cycle"] == 1)["id"])
        secret, _ = forming_group(size=2)  # a random draw whose seed nobody may see before start
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(staff)
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, page
    detail = client.get(f"/admin/groups/savingsgroup/{group['id']}/change/")
    assert detail.status_code == 200 and group["name"].encode() in detail.content
    forming = client.get(f"/admin/groups/savingsgroup/{secret['id']}/change/")
    seed = SavingsGroup.objects.get(pk=secret["id"]).seed
    assert forming.status_code == 200 and len(seed) == 64 and seed.encode() not in forming.content
    assert client.post("/admin/groups/savingsgroup/add/", {}).status_code == 403


def test_an_unfinished_group_blocks_account_deletion_and_shows_in_the_export(forming_group):
    with at("2026-12-01T10:00"):
        group, (_chair, member) = forming_group(size=2, funded="0.01")
        answer = member.post("users/me/delete/", {"password": DEFAULT_PASSWORD})
        assert answer.status_code == 409
        assert f"you are in {group['name']}, which has not finished" in answer.json()["error"]["details"]["reasons"]
        assert User.objects.get(pk=member.user.pk).is_active
        exported = member.get("users/me/export/").json()
        assert exported["groups"]["groups"][0]["group"] == group["name"]
        assert exported["contributions"] == {"contributions": [], "penalties": []}  # what they owe and paid


def test_demo_seed_makes_one_running_chama(settings):
    """The demo world in full: tests/platform/test_demo_tour.py."""
    settings.DEBUG = True
    out = io.StringIO()
    seed_demo_data(stdout=out)
    seed_demo_data(stdout=out)
    group = SavingsGroup.objects.get(name="Umoja chama")
    assert group.status == "active" and group.memberships.count() == 5
