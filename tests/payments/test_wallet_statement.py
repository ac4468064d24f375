"""The wallet statement over a period, as JSON, CSV and PDF: opening balance + movements = closing balance = the
wallet account's balance in the ledger; bad dates, currencies and formats are a 400 in the one error shape.

Without time travel: postings carry the database's own clock, which a statement's dates are read from."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from payments.models import LedgerEntry
from payments.selectors import wallets_of
from tests.factories import UserFactory, pin_token
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

URL = "/api/v1/wallet/statement/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    client.user = user
    return client


def money_call(client, path, body):
    return client.post(
        path, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_X_PIN_TOKEN=pin_token(client.user)
    )


def today():
    return timezone.localdate()


@pytest.fixture
def member():
    user = UserFactory(first_name="Amina", last_name="Otieno", phone_number="+254712345678")
    fund_wallet(user, "5000.00", "KES")
    fund_wallet(user, "800.00", "NGN")
    return user


@pytest.fixture
def client(member, django_capture_on_commit_callbacks) -> APIClient:
    """A member who took money in, sent some to a friend, received some back and withdrew to M-Pesa."""
    client = client_for(member)
    friend = UserFactory()
    fund_wallet(friend, "300.00", "KES")
    with django_capture_on_commit_callbacks(execute=True):
        deposit = {"amount": "1200", "currency": "KES", "provider": "mpesa", "phone_number": "+254712345678"}
        assert (
            client.post("/api/v1/wallet/deposit/", deposit, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())).status_code == 201
        )
    with django_capture_on_commit_callbacks(execute=True):
        sent = {"amount": "450.00", "currency": "KES", "recipient": str(friend.pk), "note": '=HYPERLINK("x")'}
        assert money_call(client, "/api/v1/wallet/transfer/", sent).status_code == 201
        back = {"amount": "75.50", "currency": "KES", "recipient": str(member.pk)}
        assert money_call(client_for(friend), "/api/v1/wallet/transfer/", back).status_code == 201
        out = {"amount": "1000", "currency": "KES", "phone_number": "+254712345678"}
        assert money_call(client, "/api/v1/wallet/withdraw/", out).status_code == 201
    return client


def ledger_balance(user, currency) -> Decimal:
    return wallets_of(user_id=user.pk).get(currency=currency).balance


def test_opening_plus_movements_is_the_closing_balance_and_the_ledgers(client, member, ledger_is_clean):
    answer = client.get(URL, {"currency": "KES", "start": str(today() - timedelta(days=1)), "end": str(today())})
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["currency"], data["holder"], data["opening_balance"]) == ("KES", "Amina Otieno", "0.00")
    amounts = [Decimal(m["amount"]) for m in data["movements"]]
    assert [m["kind"] for m in data["movements"]] == ["adjustment", "deposit", "transfer", "transfer", "withdrawal"]
    assert amounts == [
        Decimal("5000.00"),
        Decimal("1200.00"),
        Decimal("-450.00"),
        Decimal("75.50"),
        Decimal("-1015.00"),
    ]
    closing = Decimal(data["closing_balance"])
    assert (
        Decimal(data["opening_balance"]) + sum(amounts)
        == closing
        == ledger_balance(member, "KES")
        == Decimal("4810.50")
    )
    # each row's running balance is the ledger's balance after that entry
    for movement in data["movements"]:
        assert Decimal(movement["balance"]) == LedgerEntry.objects.get(pk=movement["id"]).balance_after
    assert Decimal(data["money_in"]) - Decimal(data["money_out"]) == closing - Decimal(data["opening_balance"])
    assert data["totals"] == {
        "adjustment": "5000.00",
        "deposit": "1200.00",
        "transfer": "-374.50",
        "withdrawal": "-1015.00",
    }
    # the defaults: the 90 days up to today
    default = client.get(URL, {"currency": "KES"}).json()
    assert (default["end"], default["closing_balance"]) == (str(today()), data["closing_balance"])
    # one currency at a time
    naira = client.get(URL, {"currency": "NGN"}).json()
    assert naira["closing_balance"] == "800.00" and [m["amount"] for m in naira["movements"]] == ["800.00"]


def test_periods_chain_and_a_later_one_opens_at_the_ledger_balance(client, member):
    before = client.get(URL, {"currency": "KES", "start": "2020-01-01", "end": str(today() - timedelta(days=1))}).json()
    assert (before["opening_balance"], before["movements"], before["closing_balance"]) == ("0.00", [], "0.00")
    later = client.get(
        URL, {"currency": "KES", "start": str(today() + timedelta(days=1)), "end": str(today() + timedelta(days=2))}
    ).json()
    assert later["movements"] == []
    assert Decimal(later["opening_balance"]) == Decimal(later["closing_balance"]) == ledger_balance(member, "KES")
    # a currency the member has no wallet in is an empty statement, not an error
    assert client.get(URL, {"currency": "UGX"}).json()["closing_balance"] == "0.00"


def test_nobody_elses_movements_appear(client, member):
    stranger = UserFactory()
    fund_wallet(stranger, "999.00", "KES")
    data = client.get(URL, {"currency": "KES"}).json()
    ids = {m["id"] for m in data["movements"]}
    assert ids == set(
        LedgerEntry.objects.filter(account__in=wallets_of(user_id=member.pk).filter(currency="KES")).values_list(
            "pk", flat=True
        )
    )
    assert client_for(stranger).get(URL, {"currency": "KES"}).json()["closing_balance"] == "999.00"
    assert APIClient().get(URL, {"currency": "KES"}).status_code == 401


def test_csv_reads_down_to_the_closing_balance(client, member):
    answer = client.get(URL, {"currency": "KES", "format": "csv"})
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert answer["Content-Disposition"].startswith('attachment; filename="wallet-statement-amina-otieno-KES-')
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert rows[0]["kind"] == "opening_balance" and rows[-1]["kind"] == "closing_balance"
    movements = rows[1:-1]
    assert len(movements) == 5
    total = Decimal(rows[0]["balance"]) + sum(Decimal(row["amount"]) for row in movements)
    assert total == Decimal(rows[-1]["balance"]) == Decimal(movements[-1]["balance"]) == ledger_balance(member, "KES")
    # a description is never a formula a spreadsheet would run
    assert not any(row["description"].startswith(("=", "+", "-", "@")) for row in rows)
    assert client.get(URL, {"currency": "KES"}, HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")


def test_pdf(client):
    answer = client.get(URL, {"currency": "KES", "format": "pdf"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF") and answer["Content-Disposition"].endswith('.pdf"')


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"currency": "KES", "start": "2026-13-01"}, "start"),
        ({"currency": "KES", "end": "yesterday"}, "end"),
        ({"currency": "KES", "start": "1999-12-31"}, "start"),
        ({"currency": "KES", "end": "2101-01-01"}, "end"),
        ({"currency": "KES", "start": "2026-06-02", "end": "2026-06-01"}, "start"),
        ({"currency": "KES", "start": "2099-01-01"}, "start"),  # after the default end, today
        ({}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"currency": "KES", "format": "xml"}, "format"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "csv", "pdf"])
def test_bad_dates_currencies_and_formats_are_400_in_the_one_error_shape(client, query, field, fmt):
    query = {"format": fmt, **query}
    answer = client.get(URL, query)
    assert answer.status_code == 400, (query, answer.content)
    assert answer["Content-Type"] == "application/json"
    assert "Content-Disposition" not in answer
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"], error


def test_an_empty_date_is_no_date(client, member):
    answer = client.get(URL, {"currency": "KES", "start": "", "end": ""})
    assert answer.status_code == 200, answer.json()
    assert Decimal(answer.json()["closing_balance"]) == ledger_balance(member, "KES")
