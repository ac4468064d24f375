"""The loyalty admin: read-only, and behind row-level security it still shows rows, a superuser every tenant's and
other staff only those of the tenants they belong to."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from loyalty.services.customers import create_customer
from loyalty.services.tenants import create_tenant
from loyalty.tenancy import tenant_context
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/admin/loyalty/customer/"


@pytest.fixture
def two_shops():
    a_owner, b_owner = UserFactory(), UserFactory()
    a = create_tenant(creator=a_owner, name="Shop A", currency="USD", time_zone="Africa/Harare")
    b = create_tenant(creator=b_owner, name="Shop B", currency="USD", time_zone="Africa/Harare")
    with tenant_context(a.pk):
        create_customer(tenant=a, phone="+263771111111")
    with tenant_context(b.pk):
        create_customer(tenant=b, phone="+263772222222")
    return a_owner, b_owner


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_superuser_sees_every_tenants_rows(two_shops):
    page = login(UserFactory(is_staff=True, is_superuser=True)).get(CUSTOMERS)
    assert page.status_code == 200
    assert b"+263771111111" in page.content and b"+263772222222" in page.content
    assert login(UserFactory(is_staff=True, is_superuser=True)).get("/admin/loyalty/tenant/").status_code == 200


def test_other_staff_see_only_their_own_tenants(two_shops):
    a_owner, _ = two_shops
    a_owner.is_staff = True
    a_owner.save(update_fields=["is_staff"])
    a_owner.user_permissions.add(*Permission.objects.filter(content_type__app_label="loyalty"))
    page = login(a_owner).get(CUSTOMERS)
    assert page.status_code == 200
    assert b"+263771111111" in page.content and b"+263772222222" not in page.content


def test_the_loyalty_admin_changes_nothing(two_shops):
    client = login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(CUSTOMERS + "add/").status_code == 403
