"""A compiled select answers exactly what the ORM's queryset answers, on either database, and refuses a query it
cannot replay faithfully."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction

from accounts.models import User
from core import compiled_select
from core.compiled_select import CompiledSelect, CompiledStatement
from payments.models import AccountKind, LedgerAccount
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

PK = User._meta.pk
EMAIL = User._meta.get_field("email")


def fields_of(instance):
    return [getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields]


def test_a_user_by_id_is_the_orms_user_field_for_field_including_an_encrypted_one():
    user = UserFactory(totp_secret="JBSWY3DPEHPK3PXP")
    marker = uuid.uuid4()
    by_id = CompiledSelect.compile(User.objects.filter(pk=marker, is_active=True), (PK, marker))
    found = by_id.first(user.pk)
    assert fields_of(found) == fields_of(User.objects.get(pk=user.pk))
    assert found.totp_secret == "JBSWY3DPEHPK3PXP" and not found._state.adding and found._state.db == "default"
    assert by_id.first(uuid.uuid4()) is None
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert by_id.first(user.pk) is None, "the query's constants (is_active) are kept"


def test_locked_accounts_by_ids_are_the_orms_in_id_order():
    wallets = [fund_wallet(UserFactory(), amount) for amount in ("5.00", "7.50", "9.25")]
    ids = [wallet.pk for wallet in wallets]
    with transaction.atomic():
        lock = CompiledSelect.compile(
            LedgerAccount.objects.select_for_update().filter(pk__in=[-1, -2, -3]).order_by("pk"),
            *((LedgerAccount._meta.pk, marker) for marker in (-1, -2, -3)),
        )
        found = lock.rows(*sorted(ids, reverse=True))
    assert [fields_of(account) for account in found] == [
        fields_of(account) for account in LedgerAccount.objects.filter(pk__in=ids).order_by("pk")
    ]
    assert [account.balance for account in found] == [Decimal("5.00"), Decimal("7.50"), Decimal("9.25")]
    if lock.compiler.connection.features.has_select_for_update:
        assert "FOR UPDATE" in lock.sql


def test_a_marker_the_orm_changes_or_repeats_is_refused():
    with pytest.raises(ValueError, match="appears 0 times"):
        CompiledSelect.compile(User.objects.filter(email__contains="marker@x.co"), (EMAIL, "marker@x.co"))
    with pytest.raises(ValueError, match="appears 2 times"):
        CompiledSelect.compile(
            User.objects.filter(email="m@x.co") | User.objects.filter(first_name="m@x.co"), (EMAIL, "m@x.co")
        )


def test_only_plain_columns_of_one_model_are_compiled():
    marker = uuid.uuid4()
    with pytest.raises(ValueError, match="columns of one model"):
        CompiledSelect.compile(User.objects.filter(pk=marker).only("email"), (PK, marker))
    with pytest.raises(ValueError, match="columns of one model"):
        CompiledSelect.compile(
            LedgerAccount.objects.filter(kind=AccountKind.USER_WALLET).select_related(), (PK, marker)
        )


def test_a_values_list_answers_the_orms_tuples_and_has_no_instances():
    user = UserFactory()
    fund_wallet(user, "12.34")
    fund_wallet(user, "5.00", currency="NGN")
    owner = "<owner>"
    query = LedgerAccount.objects.filter(kind=AccountKind.USER_WALLET, owner_type="user", owner_id=owner)
    balances = CompiledSelect.compile(
        query.order_by("currency").values_list("currency", "balance"),
        (LedgerAccount._meta.get_field("owner_id"), owner),
    )
    expected = list(
        LedgerAccount.objects.filter(kind=AccountKind.USER_WALLET, owner_id=str(user.pk))
        .order_by("currency")
        .values_list("currency", "balance")
    )
    assert balances.tuples(str(user.pk)) == expected == [("KES", Decimal("12.34")), ("NGN", Decimal("5.00"))]
    assert balances.tuples(str(uuid.uuid4())) == []
    with pytest.raises(TypeError):
        balances.rows(str(user.pk))


def _by_email(*, email):
    return User.objects.filter(email=email).values("id").query.sql_with_params()


def test_a_compiled_statement_replays_its_arguments_and_refuses_one_it_cannot():
    amina = UserFactory(email="amina@example.com")
    statement = CompiledStatement.compile(_by_email, {"email": EMAIL})
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.parameters(email="amina@example.com"))
        assert [str(row[0]).replace("-", "") for row in cursor.fetchall()] == [amina.pk.hex]

    def by_domain(*, email):
        return User.objects.filter(email__endswith=email[-3:]).values("id").query.sql_with_params()

    def by_email_or_name(*, email):
        users = User.objects.filter(email=email) if email < "m" else User.objects.filter(first_name=email)
        return users.values("id").query.sql_with_params()

    with pytest.raises(ValueError, match="cannot be replayed"):
        CompiledStatement.compile(by_domain, {"email": EMAIL})
    with pytest.raises(ValueError, match="changes with"):
        CompiledStatement.compile(by_email_or_name, {"email": EMAIL})


def test_a_read_is_routed_as_the_orm_routes_it(monkeypatch):
    """With a replica configured, reads outside a transaction go there (config.db_router); a compiled select asks
    the router too, and its instances say where they came from."""
    asked = []

    def db_for_read(model, **hints):
        asked.append(model)
        return "default"

    monkeypatch.setattr(compiled_select.router, "db_for_read", db_for_read)
    user = UserFactory()
    marker = uuid.uuid4()
    by_id = CompiledSelect.compile(User.objects.filter(pk=marker), (PK, marker))
    assert by_id.first(user.pk)._state.db == "default"
    assert asked == [User]
