"""Withdrawals through the sandboxes: held in flight, settled or returned once, fees to fee income."""

import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.models import AccountKind, BankAccount, LedgerEntry, SandboxPayment, Withdrawal
from payments.providers.base import ProviderRejectedError
from payments.providers.sandbox import ProviderSandbox
from payments.selectors import wallet_balance
from payments.services import get_house_account
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet, paystack_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    user = UserFactory()
    fund_wallet(user, "10000.00", "NGN")
    fund_wallet(user, "5000.00", "KES")
    return user


@pytest.fixture
def client(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=member)
    client.user = member
    return client


def link(client, account_number="0123456789", **extra):
    body = {"provider": "paystack", "currency": "NGN", "bank_code": "058", "account_number": account_number, **extra}
    return client.post("/api/v1/banks/", body, format="json")


def withdraw(client, body, key=None):
    return client.post(
        "/api/v1/wallet/withdraw/",
        body,
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        HTTP_X_PIN_TOKEN=pin_token(client.user),
    )


def house_sum(kind, currency, code=""):
    account = get_house_account(kind=kind, currency=currency, code=code)
    return sum(LedgerEntry.objects.filter(account=account).values_list("amount", flat=True), Decimal("0"))


def test_linking_a_bank_account_resolves_the_name_and_masks_the_number(client):
    response = link(client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["account_name"] == "SANDBOX ACCOUNT 6789"
    assert body["account_number"] == "******6789" and body["is_primary"] is True
    second = link(client, account_number="1111111111", make_primary=True).json()
    assert second["is_primary"] is True
    listed = client.get("/api/v1/banks/").json()
    assert [row["is_primary"] for row in listed] == [True, False]
    assert link(client).status_code == 409


def test_unresolvable_account_is_refused_and_nothing_kept(client):
    response = link(client, account_number="0000000000")
    assert response.status_code == 422 and response.json()["error"]["code"] == "provider_rejected"
    assert not BankAccount.objects.exists()


def test_bank_withdrawal_settles_with_the_fee_to_fee_income(
    client, member, django_capture_on_commit_callbacks, ledger_is_clean
):
    bank = link(client).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(client, {"amount": "2000.00", "currency": "NGN", "bank_account": bank})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["fee"], body["currency"]) == ("processing", "2000.00", "50.00", "NGN")
    withdrawal = Withdrawal.objects.get(pk=body["id"])
    assert withdrawal.status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("7950.00")
    assert house_sum(AccountKind.IN_FLIGHT, "NGN", "paystack") == 0
    assert house_sum(AccountKind.FEE_INCOME, "NGN") == Decimal("50.00")
    assert house_sum(AccountKind.PROVIDER_CLEARING, "NGN", "paystack:out") == Decimal("2000.00")


def test_funds_are_in_flight_until_the_provider_answers(client, member, ledger_is_clean):
    bank = link(client).json()["id"]
    response = withdraw(client, {"amount": "1000.00", "currency": "NGN", "bank_account": bank})  # on_commit not run
    assert response.status_code == 201
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("8950.00")
    assert house_sum(AccountKind.IN_FLIGHT, "NGN", "paystack") == Decimal("1050.00")
    assert Withdrawal.objects.get().status == "processing"


def test_failed_transfer_returns_the_money_and_fee(client, member, django_capture_on_commit_callbacks, ledger_is_clean):
    bank = link(client, account_number="1234560000").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(client, {"amount": "2000.00", "currency": "NGN", "bank_account": bank})
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    assert withdrawal.status == "failed"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("10000.00")
    assert house_sum(AccountKind.IN_FLIGHT, "NGN", "paystack") == 0


def test_reversed_transfer_returns_the_money_once(client, member, django_capture_on_commit_callbacks, ledger_is_clean):
    bank = link(client).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(client, {"amount": "2000.00", "currency": "NGN", "bank_account": bank})
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    SandboxPayment.objects.filter(reference=withdrawal.reference).update(status="reversed")  # what verify answers
    event = {
        "event": "transfer.reversed",
        "data": {
            "id": 99,
            "reference": withdrawal.reference,
            "transfer_code": "TRF_x",
            "amount": 200000,
            "currency": "NGN",
            "status": "reversed",
        },
    }
    body, headers = paystack_webhook(event)
    for _ in range(3):
        assert (
            APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers).status_code
            == 200
        )
    withdrawal.refresh_from_db()
    assert withdrawal.status == "reversed"
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("10000.00")
    assert house_sum(AccountKind.FEE_INCOME, "NGN") == 0


def test_mpesa_withdrawal(client, member, django_capture_on_commit_callbacks, ledger_is_clean):
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(client, {"amount": "1000", "currency": "KES", "phone_number": "+254712345678"})
    assert response.status_code == 201, response.json()
    assert response.json()["fee"] == "15.00"
    assert Withdrawal.objects.get().status == "succeeded"
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("3985.00")


def test_withdrawal_beyond_the_balance_is_refused(client, member):
    response = withdraw(client, {"amount": "4990.00", "currency": "KES", "phone_number": "+254712345678"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0", "currency": "KES", "phone_number": "+254712345678"},
        {"amount": "10.50", "currency": "KES", "phone_number": "+254712345678"},
        {"amount": "100", "currency": "KES"},
        {"amount": "100", "currency": "KES", "phone_number": "0712"},
        {"amount": "100", "currency": "KES", "phone_number": "+254712345678", "bank_account": str(uuid.uuid4())},
    ],
)
def test_bad_withdrawals_are_400(client, body):
    response = withdraw(client, body)
    assert response.status_code == 400, response.json()
    assert not Withdrawal.objects.exists()


def test_someone_elses_bank_account_is_404(client):
    other = APIClient()
    other.force_authenticate(user=UserFactory())
    bank = link(other).json()["id"]
    assert withdraw(client, {"amount": "100.00", "currency": "NGN", "bank_account": bank}).status_code == 404


def test_withdrawal_needs_a_pin_token(client):
    response = client.post(
        "/api/v1/wallet/withdraw/",
        {"amount": "100", "currency": "KES", "phone_number": "+254712345678"},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "pin_required"


def test_bank_account_in_another_currency_is_refused(client):
    bank = link(client).json()["id"]  # an NGN account
    response = withdraw(client, {"amount": "100.00", "currency": "KES", "bank_account": bank})
    assert response.status_code == 400 and response.json()["error"]["code"] == "currency_mismatch"
    assert not Withdrawal.objects.exists()


def test_a_transfer_the_provider_refuses_outright_returns_the_money(
    client, member, django_capture_on_commit_callbacks, monkeypatch, ledger_is_clean
):
    def refuse(self, request):
        raise ProviderRejectedError("Recipient account is blocked")

    monkeypatch.setattr(ProviderSandbox, "transfer", refuse)
    bank = link(client).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(client, {"amount": "500.00", "currency": "NGN", "bank_account": bank})
    withdrawal = Withdrawal.objects.get(pk=response.json()["id"])
    assert (withdrawal.status, withdrawal.failure_reason) == ("failed", "Recipient account is blocked")
    assert wallet_balance(user_id=member.pk, currency="NGN") == Decimal("10000.00")


def test_non_kenyan_mpesa_number_is_400(client):
    response = withdraw(client, {"amount": "100", "currency": "KES", "phone_number": "+2348031234567"})
    assert response.status_code == 400 and "phone_number" in response.json()["error"]["details"]


def test_history_shows_a_withdrawal_processing_then_filters_by_status(client, member):
    bank = link(client).json()["id"]
    withdraw(client, {"amount": "1000.00", "currency": "NGN", "bank_account": bank})  # provider not yet called
    rows = client.get("/api/v1/wallet/transactions/", {"currency": "NGN"}).json()["results"]
    assert [(r["kind"], r["status"], r["amount"]) for r in rows] == [
        ("withdrawal", "processing", "-1050.00"),
        ("adjustment", "completed", "10000.00"),
    ]
    processing = client.get("/api/v1/wallet/transactions/", {"status": "processing"}).json()
    assert processing["count"] == 1
    assert client.get("/api/v1/wallet/transactions/", {"status": "bogus"}).status_code == 400
