"""Row-level security: a query that forgets its tenant filter still sees only the transaction's tenant, as the
app's own (non-superuser) database role, on every loyalty table."""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from loyalty.models import Customer, Tenant, TenantStaff
from loyalty.services.customers import create_customer
from loyalty.services.tenants import create_tenant
from loyalty.tenancy import all_tenants, tenant_context
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def two_shops():
    a_owner, b_owner = UserFactory(), UserFactory()
    a = create_tenant(creator=a_owner, name="A", currency="USD", time_zone="Africa/Harare")
    b = create_tenant(creator=b_owner, name="B", currency="USD", time_zone="Africa/Harare")
    for tenant, phone in ((a, "+263771234567"), (b, "+263771234568"), (b, "+263771234569")):
        with tenant_context(tenant.pk):
            create_customer(tenant=tenant, phone=phone)
    return a, b


def test_the_app_role_is_held_to_the_policies():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        tables = [model._meta.db_table for model in apps.get_app_config("loyalty").get_models()]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity AND relforcerowsecurity",
            [tables],
        )
        assert sorted(row[0] for row in cursor) == sorted(tables)
        cursor.execute("SELECT tablename FROM pg_policies WHERE tablename = ANY(%s)", [tables])
        assert sorted(row[0] for row in cursor) == sorted(tables)


def test_an_unfiltered_query_in_tenant_a_sees_no_row_of_tenant_b(two_shops):
    a, b = two_shops
    with tenant_context(a.pk):
        assert list(Customer.objects.values_list("phone", flat=True)) == ["+263771234567"]  # no tenant filter
        assert not Customer.objects.filter(tenant_id=b.pk).exists()
        assert list(Tenant.objects.values_list("name", flat=True)) == ["A"]
        assert TenantStaff.objects.count() == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM loyalty_customer")  # raw SQL too
            assert cursor.fetchone() == (1,)
    with tenant_context(b.pk):
        assert Customer.objects.count() == 2


def test_no_tenant_means_no_rows(two_shops):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('app.tenant_id', '', true), set_config('app.user_id', '', true), "
                "set_config('app.all_tenants', '', true)"
            )
        assert Customer.objects.count() == 0
        assert Tenant.objects.count() == 0


def test_a_write_into_another_tenant_is_refused(two_shops):
    a, b = two_shops
    with pytest.raises(DatabaseError, match="row-level security"), tenant_context(a.pk):
        Customer.objects.create(tenant_id=b.pk, phone="+263771230000")
    with tenant_context(a.pk):
        # an update aimed at B's rows touches nothing: they are not there for A
        assert Customer.objects.filter(tenant_id=b.pk).update(status="suspended") == 0
    with tenant_context(b.pk):
        assert set(Customer.objects.values_list("status", flat=True)) == {"active"}


def test_a_nested_context_gives_the_outer_transaction_its_tenant_back(two_shops):
    """Settings are transaction-local: leaving an inner context (a savepoint) must not leave the outer work seeing
    the inner tenant, or every tenant."""
    a, b = two_shops
    with tenant_context(a.pk):
        with tenant_context(b.pk):
            assert Customer.objects.count() == 2
        assert list(Customer.objects.values_list("tenant_id", flat=True)) == [a.pk]
        with all_tenants():
            assert Customer.objects.count() == 3
        assert Customer.objects.count() == 1
