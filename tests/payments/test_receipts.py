"""A wallet movement's detail and receipt, as a member reaches them through the API: who was on the other side,
the fee, the provider's reference and M-Pesa's receipt code (stored from the callback, searchable by staff), a
PDF; nobody else's movement; and the lists' `?ordering=`."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from payments.models import Charge, LedgerEntry, Withdrawal
from payments.selectors import wallet_balance, wallets_of
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

HISTORY = "/api/v1/wallet/transactions/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user
    return client


@pytest.fixture
def member():
    user = UserFactory(first_name="Wanjiru", last_name="Kamau", phone_number="+254712345678")
    fund_wallet(user, "5000.00", "KES")
    return user


@pytest.fixture
def client(member) -> APIClient:
    return client_for(member)


def money_call(client, path, body):
    return client.post(
        path, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_X_PIN_TOKEN=pin_token(client.user)
    )


def mpesa_deposit(client, amount="1500"):
    body = {"amount": amount, "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
    answer = client.post("/api/v1/wallet/deposit/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert answer.status_code == 201, answer.json()
    return Charge.objects.get(reference=answer.json()["reference"])


def newest_row(client) -> dict:
    return client.get(HISTORY).json()["results"][0]


def test_an_mpesa_deposit_keeps_its_receipt_code_and_shows_it_on_the_receipt(
    client, member, django_capture_on_commit_callbacks, ledger_is_clean
):
    with django_capture_on_commit_callbacks(execute=True):
        charge = mpesa_deposit(client)
    charge.refresh_from_db()
    assert charge.status == "succeeded" and charge.receipt_code.startswith("SBX")  # Daraja's MpesaReceiptNumber

    row = newest_row(client)
    detail = client.get(f"{HISTORY}{row['id']}/")
    assert detail.status_code == 200, detail.json()
    body = detail.json()
    assert (body["kind"], body["direction"], body["amount"], body["fee"]) == ("deposit", "in", "1500.00", "0.00")
    assert body["counterparty"] == {"type": "provider", "id": "mpesa", "name": "M-Pesa", "detail": "+254712345678"}
    assert (body["provider"], body["provider_reference"]) == ("mpesa", charge.provider_reference)
    assert body["receipt_code"] == charge.receipt_code
    assert body["reference"] == charge.reference and body["status"] == "completed"
    # the receipt carries the same facts, and they are the ledger's
    receipt = client.get(f"{HISTORY}{row['id']}/receipt/").json()
    assert receipt["receipt_number"] and receipt["holder"] == "Wanjiru Kamau"
    assert receipt["receipt_code"] == charge.receipt_code and receipt["amount"] == "1500.00"
    entry = LedgerEntry.objects.get(pk=row["id"])
    assert Decimal(receipt["amount"]) == entry.amount
    assert Decimal(receipt["balance_after"]) == wallet_balance(user_id=member.pk, currency="KES") == Decimal("6500.00")

    pdf = client.get(f"{HISTORY}{row['id']}/receipt/", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf["Content-Disposition"]
    accept = client.get(f"{HISTORY}{row['id']}/receipt/", HTTP_ACCEPT="application/pdf")
    assert accept["Content-Type"] == "application/pdf"


def test_staff_find_a_deposit_and_a_payout_by_their_mpesa_receipt_code(
    client, django_capture_on_commit_callbacks, ledger_is_clean
):
    with django_capture_on_commit_callbacks(execute=True):
        charge = mpesa_deposit(client)
        money_call(
            client, "/api/v1/wallet/withdraw/", {"amount": "1000", "currency": "KES", "phone_number": "+254712345678"}
        )
    charge.refresh_from_db()
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.status == "succeeded" and withdrawal.receipt_code.startswith("SBX")  # B2C TransactionReceipt
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_charge", "view_withdrawal"]))
    admin = Client()
    admin.force_login(staff)
    found = admin.get("/admin/payments/charge/", {"q": charge.receipt_code})
    assert found.status_code == 200 and charge.reference in found.content.decode()
    found = admin.get("/admin/payments/withdrawal/", {"q": withdrawal.receipt_code})
    assert found.status_code == 200 and withdrawal.reference in found.content.decode()


def test_a_withdrawal_shows_its_fee_destination_and_receipt(
    client, member, django_capture_on_commit_callbacks, ledger_is_clean
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = money_call(
            client, "/api/v1/wallet/withdraw/", {"amount": "1000", "currency": "KES", "phone_number": "+254712345678"}
        )
    assert answer.status_code == 201, answer.json()
    withdrawal = Withdrawal.objects.get()
    body = client.get(f"{HISTORY}{newest_row(client)['id']}/").json()
    assert (body["kind"], body["status"], body["direction"]) == ("withdrawal", "succeeded", "out")
    assert (body["amount"], body["fee"]) == ("-1015.00", "15.00")
    assert body["counterparty"] == {"type": "phone", "id": "", "name": "M-Pesa", "detail": "+254712345678"}
    assert (body["provider_reference"], body["receipt_code"]) == (
        withdrawal.provider_reference,
        withdrawal.receipt_code,
    )
    assert Decimal(body["balance_after"]) == wallet_balance(user_id=member.pk, currency="KES") == Decimal("3985.00")


def test_a_transfer_names_the_other_person_to_each_side(client, member, ledger_is_clean):
    friend = UserFactory(first_name="Chidi", last_name="Okafor")
    answer = money_call(
        client,
        "/api/v1/wallet/transfer/",
        {"amount": "250.00", "currency": "KES", "recipient": str(friend.pk), "note": "rent"},
    )
    assert answer.status_code == 201, answer.json()
    mine = client.get(f"{HISTORY}{newest_row(client)['id']}/").json()
    assert (mine["amount"], mine["direction"], mine["note"]) == ("-250.00", "out", "rent")
    assert mine["counterparty"] == {"type": "user", "id": str(friend.pk), "name": "Chidi Okafor", "detail": ""}
    friends = client_for(friend)
    theirs = friends.get(f"{HISTORY}{newest_row(friends)['id']}/").json()
    assert (theirs["amount"], theirs["direction"]) == ("250.00", "in")
    assert theirs["counterparty"]["id"] == str(member.pk) and theirs["counterparty"]["name"] == "Wanjiru Kamau"


def test_someone_elses_movement_is_404_in_every_form(client):
    stranger = UserFactory()
    fund_wallet(stranger, "100.00", "KES")
    theirs = newest_row(client_for(stranger))["id"]
    for path in (f"{HISTORY}{theirs}/", f"{HISTORY}{theirs}/receipt/", f"{HISTORY}{theirs}/receipt/?format=pdf"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["error"]["code"] == "not_found"
    # a house account's entry of the same posting is no wallet row of anyone's
    house = LedgerEntry.objects.exclude(account__in=wallets_of(user_id=stranger.pk)).exclude(
        account__owner_id=str(client.user.pk)
    )
    for entry in house:
        assert client.get(f"{HISTORY}{entry.pk}/").status_code == 404
    assert client.get(f"{HISTORY}{2**63}/").status_code == 404
    assert APIClient().get(f"{HISTORY}{theirs}/").status_code == 401


@pytest.mark.parametrize("path", ["", "receipt/"])
def test_an_unknown_format_is_a_400_in_the_one_error_shape(client, path):
    row = newest_row(client)["id"]
    answer = client.get(f"{HISTORY}{row}/{path}", {"format": "xml"})
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and "format" in error["details"]


# --- ?ordering= on the lists ----------------------------------------------------------------------------------------


def test_the_wallet_history_sorts_by_amount_and_date(client, member, ledger_is_clean):
    friend = UserFactory()
    for amount in ("300.00", "100.00", "200.00"):
        money_call(
            client, "/api/v1/wallet/transfer/", {"amount": amount, "currency": "KES", "recipient": str(friend.pk)}
        )
    amounts = lambda **query: [row["amount"] for row in client.get(HISTORY, query).json()["results"]]  # noqa: E731
    assert amounts() == ["-200.00", "-100.00", "-300.00", "5000.00"]  # newest first
    assert amounts(ordering="amount") == ["-300.00", "-200.00", "-100.00", "5000.00"]
    assert amounts(ordering="-amount") == ["5000.00", "-100.00", "-200.00", "-300.00"]
    assert amounts(ordering="date") == ["5000.00", "-300.00", "-100.00", "-200.00"]
    assert amounts(ordering="-date") == amounts()
    bad = client.get(HISTORY, {"ordering": "balance"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"


def test_withdrawals_deposits_and_transfers_sort_too(client, member, django_capture_on_commit_callbacks):
    friend = UserFactory()
    fund_wallet(friend, "1000.00", "KES")
    with django_capture_on_commit_callbacks(execute=True):
        for amount in ("700", "200", "500"):
            mpesa_deposit(client, amount)
            money_call(
                client,
                "/api/v1/wallet/withdraw/",
                {"amount": amount, "currency": "KES", "phone_number": "+254712345678"},
            )
    money_call(client, "/api/v1/wallet/transfer/", {"amount": "40.00", "currency": "KES", "recipient": str(friend.pk)})
    money_call(
        client_for(friend),
        "/api/v1/wallet/transfer/",
        {"amount": "60.00", "currency": "KES", "recipient": str(member.pk)},
    )

    def amounts(path, **query):
        answer = client.get(path, query)
        assert answer.status_code == 200, answer.json()
        return [row["amount"] for row in answer.json()["results"]]

    for path in ("/api/v1/wallet/withdrawals/", "/api/v1/wallet/deposits/"):
        assert amounts(path) == ["500.00", "200.00", "700.00"]
        assert amounts(path, ordering="amount") == ["200.00", "500.00", "700.00"]
        assert amounts(path, ordering="-amount") == ["700.00", "500.00", "200.00"]
        assert amounts(path, ordering="date") == ["700.00", "200.00", "500.00"]
        assert client.get(path, {"ordering": "fee"}).status_code == 400
    deposits = client.get("/api/v1/wallet/deposits/").json()["results"]
    assert all(row["receipt_code"].startswith("SBX") and row["status"] == "succeeded" for row in deposits)
    transfers = client.get("/api/v1/wallet/transfers/", {"ordering": "-amount"}).json()["results"]
    assert [(row["amount"], row["direction"]) for row in transfers] == [("60.00", "in"), ("40.00", "out")]
    assert amounts("/api/v1/wallet/transfers/", ordering="amount") == ["40.00", "60.00"]
    # nobody else's
    assert client_for(UserFactory()).get("/api/v1/wallet/transfers/").json()["results"] == []
    assert client_for(friend).get("/api/v1/wallet/deposits/").json()["results"] == []
