"""The whole flow through the sandboxes, driven only through the API: deposit → transfer → withdraw."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory, pin_token

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def money_headers(user) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}


def test_deposit_transfer_withdraw_through_the_api(django_capture_on_commit_callbacks):
    amina, chidi = UserFactory(phone_number="+254712345678"), UserFactory(phone_number="+254798765432")
    a, c = client_for(amina), client_for(chidi)

    with django_capture_on_commit_callbacks(execute=True):
        deposit = a.post(
            "/api/v1/wallet/deposit/",
            {"amount": "5000", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"},
            **money_headers(amina),
        ).json()
    assert a.get(f"/api/v1/wallet/deposits/{deposit['reference']}/").json()["status"] == "succeeded"

    with django_capture_on_commit_callbacks(execute=True):
        card = a.post(
            "/api/v1/wallet/deposit/",
            {"amount": "1000.00", "currency": "KES", "provider": "paystack"},
            **money_headers(amina),
        ).json()
        APIClient().post(
            f"/sandbox/paystack/charges/{card['reference']}/complete/", {"outcome": "success"}, format="json"
        )
    assert a.get("/api/v1/wallet/").json() == {"wallets": [{"currency": "KES", "balance": "6000.00"}]}
    saved = a.post("/api/v1/cards/", {"reference": card["reference"]}, format="json")
    assert saved.status_code == 201 and saved.json()["last4"] == "4081"
    assert a.post("/api/v1/cards/", {"reference": card["reference"]}, format="json").status_code == 409

    sent = a.post(
        "/api/v1/wallet/transfer/",
        {"amount": "2500.00", "currency": "KES", "recipient": "+254798765432", "note": "chama share"},
        **money_headers(amina),
    )
    assert sent.status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        out = c.post(
            "/api/v1/wallet/withdraw/",
            {"amount": "2000", "currency": "KES", "phone_number": "+254798765432"},
            **money_headers(chidi),
        )
    assert out.status_code == 201
    assert c.get("/api/v1/wallet/withdrawals/").json()["results"][0]["status"] == "succeeded"

    assert wallet_balance(user_id=amina.pk, currency="KES") == Decimal("3500.00")
    assert wallet_balance(user_id=chidi.pk, currency="KES") == Decimal("485.00")  # 2500 - 2000 - 15 fee
    kinds = [row["kind"] for row in c.get("/api/v1/wallet/transactions/").json()["results"]]
    assert kinds == ["withdrawal", "transfer"]  # the settlement moves in-flight money, not the wallet
    assert ledger_discrepancies() == []
