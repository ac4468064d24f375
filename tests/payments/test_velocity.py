"""Velocity limits against fraud (issue 17): per user and per device (`X-Device-Id`), how many transfers and
withdrawals, and how much, per hour and per day; a large withdrawal from a new device held for staff to review."""

import uuid
from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import StaffAuditEntry
from payments.models import PaymentReview, SandboxPayment, Transfer, VelocityRefusal, Withdrawal
from payments.selectors import ledger_discrepancies, wallet_balance
from payments.services.velocity import NEW_DEVICE_REVIEW, device_hash, reject_held_withdrawal, release_held_withdrawal
from tests.factories import UserFactory, pin_token
from tests.fixtures.groups import LAGOS, at
from tests.fixtures.money import fund_wallet
from tests.fixtures.threads import run_threads

PHONE = "+254712345678"


def limits(**by_kind) -> dict:
    """VELOCITY_LIMITS-shaped settings: limits(transfer={"hour": {"count": 3}})."""
    return dict(by_kind)


@pytest.fixture
def quiet_limits(settings):
    """Only what a test sets applies: no limits, no review threshold."""
    settings.VELOCITY_LIMITS = {}
    settings.VELOCITY_DEVICE_LIMITS = {}
    settings.NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE = {}
    return settings


@pytest.fixture
def sender(db):
    user = UserFactory(kyc_tier=2)
    fund_wallet(user, "100000.00")
    return user


@pytest.fixture
def recipient(db):
    return UserFactory()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def send(user, recipient, amount="100.00", device=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}
    if device is not None:
        headers["HTTP_X_DEVICE_ID"] = device
    body = {"amount": amount, "currency": "KES", "recipient": recipient.email}
    return api(user).post("/api/v1/wallet/transfer/", body, format="json", **headers)


def withdraw(user, amount="1000", device=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}
    if device is not None:
        headers["HTTP_X_DEVICE_ID"] = device
    body = {"amount": amount, "currency": "KES", "phone_number": PHONE}
    return api(user).post("/api/v1/wallet/withdraw/", body, format="json", **headers)


def error(response) -> dict:
    assert response.status_code == 429, response.json()
    body = response.json()["error"]
    assert body["code"] == "velocity_limited"
    return body


def lagos(when: str) -> datetime:
    return datetime.fromisoformat(when).replace(tzinfo=LAGOS)


@pytest.mark.django_db
def test_the_transfer_past_the_hourly_count_is_refused_until_the_first_leaves_the_window(
    quiet_limits, sender, recipient, ledger_is_clean
):
    quiet_limits.VELOCITY_LIMITS = limits(transfer={"hour": {"count": 3}, "day": {"count": 10}})
    for minute in ("00", "10", "20"):
        with at(f"2026-12-01T10:{minute}"):
            assert send(sender, recipient).status_code == 201
    with at("2026-12-01T10:30"):
        refused = send(sender, recipient)
    body = error(refused)
    details = body["details"]
    assert datetime.fromisoformat(details.pop("retry_after")) == lagos("2026-12-01T11:00")  # 10:00's leaves then
    assert details == {"kind": "transfer", "window": "hour", "scope": "user", "limit_count": 3}
    assert refused["Retry-After"] == str(30 * 60)
    assert Transfer.objects.count() == 3  # nothing moved
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("99700.00")
    refusal = VelocityRefusal.objects.get()
    assert (refusal.user, refusal.kind, refusal.window, refusal.limit, refusal.amount) == (
        sender,
        "transfer",
        "hour",
        "count",
        Decimal("100.00"),
    )
    assert refusal.retry_after == lagos("2026-12-01T11:00")
    with at("2026-12-01T10:59"):
        error(send(sender, recipient))
    with at("2026-12-01T11:00"):  # the 10:00 transfer has left the hour
        assert send(sender, recipient).status_code == 201
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("99600.00")
    assert ledger_discrepancies() == []


@pytest.mark.django_db
def test_the_daily_count_rolls_over_24_hours(quiet_limits, sender, recipient, ledger_is_clean):
    quiet_limits.VELOCITY_LIMITS = limits(transfer={"day": {"count": 2}})
    with at("2026-12-01T09:00"):
        assert send(sender, recipient).status_code == 201
    with at("2026-12-01T18:00"):
        assert send(sender, recipient).status_code == 201
    with at("2026-12-02T08:59"):
        body = error(send(sender, recipient))
    assert body["details"]["window"] == "day"
    assert datetime.fromisoformat(body["details"]["retry_after"]) == lagos("2026-12-02T09:00")
    with at("2026-12-02T09:00"):
        assert send(sender, recipient).status_code == 201


@pytest.mark.django_db
def test_over_two_limits_the_answer_is_when_both_let_it_through(quiet_limits, sender, recipient, ledger_is_clean):
    quiet_limits.VELOCITY_LIMITS = limits(transfer={"hour": {"count": 1}, "day": {"count": 2}})
    with at("2026-12-01T09:00"):
        assert send(sender, recipient).status_code == 201
    with at("2026-12-01T10:30"):
        assert send(sender, recipient).status_code == 201
    with at("2026-12-01T10:45"):
        body = error(send(sender, recipient))  # the hour lets it at 11:30, the day only at 09:00 tomorrow
    assert body["details"]["window"] == "day"
    assert datetime.fromisoformat(body["details"]["retry_after"]) == lagos("2026-12-02T09:00")


@pytest.mark.django_db
def test_a_device_has_its_own_limit_and_the_user_one_counts_every_device(
    quiet_limits, sender, recipient, ledger_is_clean
):
    quiet_limits.VELOCITY_LIMITS = limits(transfer={"hour": {"count": 3}})
    quiet_limits.VELOCITY_DEVICE_LIMITS = limits(transfer={"hour": {"count": 2}})
    with at("2026-12-01T10:00"):
        assert send(sender, recipient, device="phone-A").status_code == 201
        assert send(sender, recipient, device="phone-A").status_code == 201
        device_refusal = error(send(sender, recipient, device="phone-A"))
        assert device_refusal["details"]["scope"] == "device"
        assert device_refusal["details"]["limit_count"] == 2
        assert send(sender, recipient, device="laptop-B").status_code == 201  # another device: its own count
        user_refusal = error(send(sender, recipient, device="laptop-B"))  # but the user has made three
        assert user_refusal["details"]["scope"] == "user"
        assert error(send(sender, recipient))["details"]["scope"] == "user"  # no header: the user's limit
    assert Transfer.objects.count() == 3
    assert list(Transfer.objects.order_by("created_at").values_list("device_hash", flat=True)) == [
        device_hash("phone-A"),
        device_hash("phone-A"),
        device_hash("laptop-B"),
    ]
    assert VelocityRefusal.objects.filter(scope="device", device_hash=device_hash("phone-A")).count() == 1
    assert VelocityRefusal.objects.filter(scope="user").count() == 2


@pytest.mark.django_db
def test_the_amount_limit_counts_money_in_the_currency(quiet_limits, sender, recipient, ledger_is_clean):
    quiet_limits.VELOCITY_LIMITS = limits(transfer={"hour": {"amount": {"KES": "1000", "default": "5"}}})
    with at("2026-12-01T10:00"):
        assert send(sender, recipient, amount="600.00").status_code == 201
    with at("2026-12-01T10:05"):
        assert send(sender, recipient, amount="300.00").status_code == 201
    with at("2026-12-01T10:30"):
        body = error(send(sender, recipient, amount="500.00"))
        assert body["details"]["limit_amount"] == "1000"
        assert body["details"]["used"] == "900.00"
        # 400 must leave: the 10:00 transfer (600) is enough
        assert datetime.fromisoformat(body["details"]["retry_after"]) == lagos("2026-12-01T11:00")
        too_big = error(send(sender, recipient, amount="1500.00"))  # more than an hour's limit on its own
        assert too_big["details"]["retry_after"] is None
        assert send(sender, recipient, amount="100.00").status_code == 201
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("99000.00")


@pytest.mark.django_db
def test_a_refused_withdrawal_is_kept_for_staff_though_its_transaction_rolled_back(
    quiet_limits, sender, ledger_is_clean
):
    quiet_limits.VELOCITY_LIMITS = limits(withdrawal={"hour": {"count": 1}})
    with at("2026-12-01T10:00"):
        assert withdraw(sender).status_code == 201
    with at("2026-12-01T10:45"):
        refused = withdraw(sender)
    body = error(refused)
    assert body["details"]["kind"] == "withdrawal" and refused["Retry-After"] == str(15 * 60)
    assert Withdrawal.objects.count() == 1
    refusal = VelocityRefusal.objects.get()
    assert (refusal.kind, refusal.user) == ("withdrawal", sender)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_velocityrefusal"))
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/payments/velocityrefusal/")
    assert page.status_code == 200 and sender.email.encode() in page.content
    assert client.get(f"/admin/payments/velocityrefusal/{refusal.pk}/change/").status_code == 200
    assert client.post("/admin/payments/velocityrefusal/add/", {}).status_code == 403  # read-only


# --- a new device's large withdrawal, held for review ---------------------------------------------------------------


@pytest.fixture
def review_above(quiet_limits):
    quiet_limits.NEW_DEVICE_WITHDRAWAL_REVIEW_ABOVE = {"KES": "5000"}
    return quiet_limits


def staff_client() -> Client:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_withdrawal", "change_withdrawal"]))
    client = Client()
    client.force_login(staff)
    return client


def decide(client: Client, action: str, withdrawal: Withdrawal):
    # a reason, as every correction asks (without one the admin shows the confirmation page and does nothing)
    data = {"action": action, "_selected_action": [withdrawal.pk], "reason": "checked with the member"}
    return client.post("/admin/payments/withdrawal/", data)


@pytest.mark.django_db
def test_a_new_devices_large_withdrawal_is_held_then_released_once(
    review_above, sender, django_capture_on_commit_callbacks, ledger_is_clean
):
    with django_capture_on_commit_callbacks(execute=True):
        response = withdraw(sender, amount="6000", device="new-phone")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "held"
    held = Withdrawal.objects.get()
    assert held.submitted_at is None and not SandboxPayment.objects.exists()  # not sent to the provider
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("93985.00")  # in flight, with the fee
    review = PaymentReview.objects.get(withdrawal=held)
    assert (review.reason, review.resolved) == (NEW_DEVICE_REVIEW, False)
    assert ledger_discrepancies() == []  # a held withdrawal backs its in-flight money

    client = staff_client()
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, "release_held", held)
    held.refresh_from_db()
    assert held.status == "succeeded" and held.submitted_at is not None
    assert SandboxPayment.objects.count() == 1
    review.refresh_from_db()
    assert review.resolved
    assert StaffAuditEntry.objects.filter(action="withdrawal.release", target_id=str(held.pk)).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, "release_held", held)  # once: now it is not held
        decide(client, "reject_held", held)
    assert SandboxPayment.objects.count() == 1
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("93985.00")
    assert StaffAuditEntry.objects.filter(target_id=str(held.pk)).count() == 1

    # the device has now completed a withdrawal: it is known, and its next large one goes straight out
    with django_capture_on_commit_callbacks(execute=True):
        again = withdraw(sender, amount="6000", device="new-phone")
    assert again.json()["status"] == "processing"  # not held: sent at once
    assert Withdrawal.objects.get(pk=again.json()["id"]).status == "succeeded"


@pytest.mark.django_db
def test_a_held_withdrawal_rejected_returns_the_money_once(
    review_above, sender, django_capture_on_commit_callbacks, ledger_is_clean
):
    response = withdraw(sender, amount="6000")  # no X-Device-Id: an unknown device is a new one
    assert response.json()["status"] == "held"
    held = Withdrawal.objects.get()
    client = staff_client()
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, "reject_held", held)
    held.refresh_from_db()
    assert held.status == "failed" and held.return_transaction is not None
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("100000.00")  # amount and fee back
    assert not SandboxPayment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        decide(client, "reject_held", held)
        decide(client, "release_held", held)
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("100000.00")
    assert not SandboxPayment.objects.exists()
    assert PaymentReview.objects.get(withdrawal=held).resolved


@pytest.mark.django_db
def test_staff_without_the_change_permission_cannot_decide(review_above, sender, ledger_is_clean):
    withdraw(sender, amount="6000", device="new-phone")
    held = Withdrawal.objects.get()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_withdrawal"))
    client = Client()
    client.force_login(staff)
    decide(client, "release_held", held)
    decide(client, "reject_held", held)
    held.refresh_from_db()
    assert held.status == "held"


@pytest.mark.django_db
def test_the_services_decide_a_held_withdrawal_once(review_above, sender, django_capture_on_commit_callbacks):
    withdraw(sender, amount="6000", device="new-phone")
    held = Withdrawal.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        release_held_withdrawal(withdrawal_id=held.pk)
    with pytest.raises(Exception, match="not held"):
        release_held_withdrawal(withdrawal_id=held.pk)
    with pytest.raises(Exception, match="not held"):
        reject_held_withdrawal(withdrawal_id=held.pk)
    assert ledger_discrepancies() == []


@pytest.mark.django_db
def test_what_is_not_held(review_above, sender, recipient, django_capture_on_commit_callbacks, ledger_is_clean):
    with django_capture_on_commit_callbacks(execute=True):
        small = withdraw(sender, amount="5000", device="new-phone")  # at the threshold, not above it
    assert small.json()["status"] == "processing"
    assert send(sender, recipient, amount="100.00", device="tablet").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        known = withdraw(sender, amount="9000", device="tablet")  # a device with a completed transfer
    assert known.json()["status"] == "processing"
    assert not PaymentReview.objects.exists()
    assert set(Withdrawal.objects.values_list("status", flat=True)) == {"succeeded"}


def test_the_money_endpoints_document_the_device_header_and_the_refusal(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/v1/wallet/transfer/", "/api/v1/wallet/withdraw/"):
        post = schema["paths"][path]["post"]
        device = next(p for p in post["parameters"] if p["name"] == "X-Device-Id")
        assert device["in"] == "header" and not device.get("required")
        assert "velocity_limited" in post["responses"]["429"]["description"]


# --- PostgreSQL: the limit holds under concurrency --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_at_the_limit_let_exactly_the_limit_through(settings):
    settings.VELOCITY_LIMITS = limits(transfer={"hour": {"count": 3}})
    settings.VELOCITY_DEVICE_LIMITS = {}
    spender = UserFactory(kyc_tier=2)
    fund_wallet(spender, "10000.00")
    recipients = [UserFactory() for _ in range(8)]
    tokens = [pin_token(spender) for _ in range(8)]

    def spend(index: int):
        client = APIClient()
        client.force_authenticate(user=spender)
        response = client.post(
            "/api/v1/wallet/transfer/",
            {"amount": "100.00", "currency": "KES", "recipient": recipients[index].email},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            HTTP_X_PIN_TOKEN=tokens[index],
        )
        return response.status_code, response.json().get("error", {}).get("code")

    results = run_threads(8, spend)
    assert results.count((201, None)) == 3, results
    assert results.count((429, "velocity_limited")) == 5, results
    assert Transfer.objects.filter(sender=spender).count() == 3
    assert VelocityRefusal.objects.filter(user=spender).count() == 5
    assert wallet_balance(user_id=spender.pk, currency="KES") == Decimal("9700.00")
    assert ledger_discrepancies() == []
