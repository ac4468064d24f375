"""SQL statements per request on the hottest money paths, pinned so they cannot creep back (issue 20).

Each request goes through the whole stack as a client sends it: a real bearer JWT (so the user is loaded as in
production), a fresh Idempotency-Key and PIN token, in a real database transaction (`transaction=True`: BEGIN and
COMMIT are counted, not a test's savepoints). A change that adds a statement must say why here.
"""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.authentication import SessionAccessToken
from tests.factories import UserFactory, pin_token
from tests.fixtures.groups import NAIROBI, at
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = connection.vendor == "postgresql"

# A transfer: the user (JWT); BEGIN; [PostgreSQL: the key's advisory lock]; the key's record; the PIN token spent;
# the recipient; both wallets locked in one select; today's transfers, withdrawals and bill orders (billpay's
# registered source) in one select; the last day's transfers counted and summed per window for the velocity
# limits (issue 17: one select); the ledger transaction, its entries and both balances (PostgreSQL: one statement;
# SQLite: the key looked up, three writes); the transfer; the recipient's notification (no cause to repeat, so no
# savepoint); the key's record; COMMIT.
TRANSFER = 14 if POSTGRES else 16
# A wallet read: the user (JWT); the balances.
WALLET = 2
# A contribution paid from the wallet (contributions' code, not tuned in issue 20): the user; BEGIN; [advisory lock];
# the key's record; the contribution; the PIN token; the membership, the contribution, its penalties and the
# earlier ones; the wallet and the pot; the posting (a savepoint, the locking select, its writes as for a transfer,
# release); the contribution; the payer again; the notification (three); release; the key's record; COMMIT.
CONTRIBUTION = 25 if POSTGRES else 27


@pytest.fixture(autouse=True)
def _tasks_queued_not_run(monkeypatch):
    """As in production, a request hands its after-commit work to Celery and is done: the tests here run in
    process (eager), which would count the notification tasks' statements as the request's."""
    monkeypatch.setattr("celery.app.task.Task.apply_async", lambda task, *args, **kwargs: None)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {SessionAccessToken.for_user(user)}")
    return client


def money_headers(user) -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}


def statements(captured: CaptureQueriesContext) -> str:
    return "\n".join(f"{n}. {query['sql'][:160]}" for n, query in enumerate(captured.captured_queries, 1))


def test_a_transfer_costs_a_fixed_number_of_statements():
    sender, recipient = UserFactory(), UserFactory()
    fund_wallet(sender, "1000.00")
    fund_wallet(recipient, "1.00")
    client = client_for(sender)
    body = {"amount": "10.00", "currency": "KES", "recipient": recipient.email}
    assert client.post("/api/v1/wallet/transfer/", body, **money_headers(sender)).status_code == 201  # warm
    headers = money_headers(sender)
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/wallet/transfer/", body, **headers)
    assert response.status_code == 201, response.json()
    assert len(captured) == TRANSFER, statements(captured)
    sql = [query["sql"] for query in captured.captured_queries]
    if POSTGRES:  # SQLite has no row locks (its IMMEDIATE transactions run writers one at a time)
        assert sum("FOR UPDATE" in s for s in sql) == 1, "one locking select of both wallets"
    assert not any("SAVEPOINT" in s for s in sql), statements(captured)


def test_a_first_transfer_to_someone_without_a_wallet_makes_it():
    """The slower path stays correct: the recipient's wallet is made and locked after the sender's."""
    sender, recipient = UserFactory(), UserFactory()
    fund_wallet(sender, "100.00")
    response = client_for(sender).post(
        "/api/v1/wallet/transfer/",
        {"amount": "40.00", "currency": "KES", "recipient": recipient.email},
        **money_headers(sender),
    )
    assert response.status_code == 201, response.json()
    balances = client_for(recipient).get("/api/v1/wallet/").json()
    assert balances == {"wallets": [{"currency": "KES", "balance": "40.00"}]}


def test_a_wallet_read_costs_two_statements():
    user = UserFactory()
    fund_wallet(user, "25.00")
    fund_wallet(user, "3.00", "NGN")
    client = client_for(user)
    client.get("/api/v1/wallet/")  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/wallet/")
    assert response.json() == {
        "wallets": [{"currency": "KES", "balance": "25.00"}, {"currency": "NGN", "balance": "3.00"}]
    }
    assert len(captured) == WALLET, statements(captured)


def test_a_contribution_paid_from_the_wallet_costs_a_fixed_number_of_statements(chama):
    gid, people, _ = chama
    with at("2026-12-20T10:00", NAIROBI):
        counts = []
        for person in people[:2]:
            mine = next(c for c in person.contributions(gid) if c["cycle"] == 1)
            client = client_for(person.user)
            headers = money_headers(person.user)
            with CaptureQueriesContext(connection) as captured:
                response = client.post(f"/api/v1/contributions/{mine['id']}/pay/", {"source": "wallet"}, **headers)
            assert response.status_code == 200, response.json()
            counts.append(len(captured))
    assert counts[0] == counts[1], "the same payment costs the same whoever makes it"
    assert counts[1] == CONTRIBUTION, statements(captured)
