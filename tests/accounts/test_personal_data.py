import pytest
from rest_framework.test import APIClient

from accounts.models import User
from payments.models import AccountKind, LedgerEntry, TransactionKind
from payments.services import Leg, get_house_account, post_transaction
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def test_export_has_profile_and_money():
    user = UserFactory()
    fund_wallet(user, "250.00")
    response = client_for(user).get("/api/v1/users/me/export/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["profile"]["email"] == user.email
    assert data["payments"]["wallets"] == [{"currency": "KES", "balance": "250.00"}]
    assert data["payments"]["movements"][0]["amount"] == "250.00"


def test_deletion_is_refused_while_money_is_in_the_wallet():
    user = UserFactory()
    fund_wallet(user, "10.00")
    response = client_for(user).post("/api/v1/users/me/delete/", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 409
    assert response.json()["error"]["details"]["reasons"] == ["KES 10.00 is still in your wallet"]
    assert User.objects.get(pk=user.pk).is_active


def test_deletion_anonymises_and_keeps_the_books():
    user = UserFactory(first_name="Neema", phone_number="+254711000222")
    wallet = fund_wallet(user, "10.00")
    from decimal import Decimal

    post_transaction(  # the member took the money out before leaving
        kind=TransactionKind.ADJUSTMENT,
        legs=[
            Leg(wallet, Decimal("-10.00")),
            Leg(get_house_account(kind=AccountKind.SUSPENSE, currency="KES"), Decimal("10.00")),
        ],
        idempotency_key="leave",
    )
    assert client_for(user).post("/api/v1/users/me/delete/", {"password": "wrong"}).status_code == 401
    assert client_for(user).post("/api/v1/users/me/delete/", {"password": DEFAULT_PASSWORD}).status_code == 204
    gone = User.objects.get(pk=user.pk)
    assert not gone.is_active and gone.first_name == "" and gone.phone_number == ""
    assert gone.email.endswith("@deleted.invalid") and not gone.has_usable_password()
    assert LedgerEntry.objects.filter(account=wallet).count() == 2  # financial records stay
    login = APIClient().post("/api/v1/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 401
