"""The transaction PIN: set with the password, single-use five-minute tokens, lock after five wrong tries."""

import uuid
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from accounts.models import User
from payments.selectors import wallet_balance
from tests.factories import DEFAULT_PASSWORD, DEFAULT_PIN, UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return UserFactory(pin_hash="")


@pytest.fixture
def client(member) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=member)
    return client


def set_pin(client, **body):
    return client.post("/api/v1/auth/pin/", body, format="json")


def verify(client, pin):
    return client.post("/api/v1/auth/pin/verify/", {"pin": pin}, format="json")


def test_set_pin_with_the_password_then_get_a_token(client, member):
    assert verify(client, "4829").json()["error"]["code"] == "pin_not_set"
    assert set_pin(client, pin="4829", password=DEFAULT_PASSWORD).status_code == 204
    member.refresh_from_db()
    assert member.pin_hash != "4829" and check_password("4829", member.pin_hash)  # stored hashed
    response = verify(client, "4829")
    assert response.status_code == 200
    assert set(response.json()) == {"pin_token", "expires_at"}


@pytest.mark.parametrize(
    "pin", ["1234", "0000", "4321", "123456", "987654", "111111", "2580", "12a4", "123", "1234567", "²³⁴⁵", "٤٨٢٩"]
)
def test_trivial_or_malformed_pins_are_refused(client, pin):
    response = set_pin(client, pin=pin, password=DEFAULT_PASSWORD)
    assert response.status_code == 400 and "pin" in response.json()["error"]["details"]


def test_setting_needs_the_password_or_the_old_pin(client, member):
    assert set_pin(client, pin="4829").status_code == 400
    assert set_pin(client, pin="4829", password="wrong-password").json()["error"]["code"] == "invalid_credentials"
    set_pin(client, pin="4829", password=DEFAULT_PASSWORD)
    assert set_pin(client, pin="7391", old_pin="0000").json()["error"]["code"] == "pin_invalid"
    assert set_pin(client, pin="7391", old_pin="4829").status_code == 204
    assert verify(client, "7391").status_code == 200


def test_five_wrong_pins_lock_for_thirty_minutes(client):
    set_pin(client, pin="4829", password=DEFAULT_PASSWORD)
    with time_machine.travel("2026-11-23 10:00Z", tick=False):
        for attempt in range(4):
            error = verify(client, "9999").json()["error"]
            assert (error["code"], error["details"]["attempts_left"]) == ("pin_invalid", 4 - attempt)
        locked = verify(client, "9999").json()["error"]
        assert locked["code"] == "pin_locked" and locked["details"]["retry_after"] == 1800
        assert verify(client, "4829").json()["error"]["code"] == "pin_locked"  # even the right one
    with time_machine.travel("2026-11-23 10:31Z", tick=False):
        assert verify(client, "4829").status_code == 200


def test_a_right_pin_resets_the_count(client, member):
    set_pin(client, pin="4829", password=DEFAULT_PASSWORD)
    for _ in range(4):
        verify(client, "9999")
    verify(client, "4829")
    member.refresh_from_db()
    assert member.pin_failed_attempts == 0


def transfer(client, token, recipient, amount="10.00"):
    return client.post(
        "/api/v1/wallet/transfer/",
        {"amount": amount, "currency": "KES", "recipient": recipient.email},
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_X_PIN_TOKEN=token,
    )


@pytest.fixture
def funded(member):
    User.objects.filter(pk=member.pk).update(pin_hash=UserFactory.build().pin_hash)
    member.refresh_from_db()
    fund_wallet(member, "100.00")
    return member


def test_a_token_is_single_use(client, funded):
    recipient = UserFactory()
    token = verify(client, DEFAULT_PIN).json()["pin_token"]
    assert transfer(client, token, recipient).status_code == 201
    again = transfer(client, token, recipient)
    assert again.status_code == 403 and again.json()["error"]["code"] == "pin_invalid"


def test_a_token_expires_after_five_minutes(client, funded):
    recipient = UserFactory()
    with time_machine.travel("2026-11-23 10:00Z", tick=False):
        token = verify(client, DEFAULT_PIN).json()["pin_token"]
        other = verify(client, DEFAULT_PIN).json()["pin_token"]  # several may be outstanding
    with time_machine.travel("2026-11-23 10:04:59Z", tick=False):
        assert transfer(client, other, recipient).status_code == 201
    with time_machine.travel("2026-11-23 10:05:01Z", tick=False):
        assert transfer(client, token, recipient).json()["error"]["code"] == "pin_invalid"


def test_a_token_is_bound_to_its_user(client, funded):
    thief = UserFactory()
    fund_wallet(thief, "100.00")
    token = verify(client, DEFAULT_PIN).json()["pin_token"]
    thief_client = APIClient()
    thief_client.force_authenticate(user=thief)
    assert transfer(thief_client, token, funded).json()["error"]["code"] == "pin_invalid"


def test_a_failed_transfer_spends_the_token(client, funded):
    """A transfer that reached its recipient lookup spends the token even when it fails (issue 11): otherwise one
    token probes which emails and phones have accounts. The next attempt takes a fresh token."""
    recipient = UserFactory()
    token = verify(client, DEFAULT_PIN).json()["pin_token"]
    assert transfer(client, token, recipient, amount="500.00").json()["error"]["code"] == "insufficient_funds"
    assert transfer(client, token, recipient, amount="50.00").json()["error"]["code"] == "pin_invalid"
    fresh = verify(client, DEFAULT_PIN).json()["pin_token"]
    assert transfer(client, fresh, recipient, amount="50.00").status_code == 201
    assert wallet_balance(user_id=funded.pk, currency="KES") == Decimal("50.00")
