"""The wallet's, bills', accounts' and loyalty's events each tell once, however often their cause is replayed
(a provider's webhook twice, a job run twice, the same device signing in again)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pyotp
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import two_factor
from accounts.kyc import apply_kyc_result
from accounts.models import KycSubmission
from accounts.providers.smileid.adapter import KycResult
from loyalty.services.issuances import issue_reward, warn_expiring_issuances
from notifications.models import Delivery, Notification
from payments.models import Charge
from payments.providers.base import PaymentStatus
from payments.services.deposits import apply_charge_result
from payments.services.withdrawals import apply_transfer_result
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD, pin_token
from tests.fixtures.money import fund_wallet
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within
from tests.payments.test_provider_hardening import open_withdrawal

pytestmark = pytest.mark.django_db


def told(user, event):
    return list(Notification.objects.filter(user=user, event=event))


def test_a_deposit_credited_twice_by_the_provider_tells_once():
    member = UserFactory()
    charge = Charge.objects.create(
        reference=f"dep-{uuid.uuid4().hex[:8]}", user=member, provider="paystack", amount="500.00", currency="NGN"
    )
    for _ in range(2):
        apply_charge_result(
            charge_id=charge.pk, status=PaymentStatus.SUCCEEDED, amount=Decimal("500.00"), currency="NGN"
        )
    (note,) = told(member, "deposit_credited")
    assert note.title == "NGN 500.00 added to your wallet" and note.context["method"] == "Paystack"


@pytest.mark.parametrize(
    ("outcomes", "event"),
    [
        ([PaymentStatus.SUCCEEDED], "withdrawal_sent"),
        ([PaymentStatus.FAILED], "withdrawal_failed"),
        ([PaymentStatus.SUCCEEDED, PaymentStatus.REVERSED], "withdrawal_reversed"),
    ],
)
def test_a_withdrawal_result_delivered_twice_tells_once(outcomes, event):
    member = UserFactory()
    fund_wallet(member, "10000.00", "NGN")
    withdrawal = open_withdrawal(member, provider="paystack", currency="NGN", amount="1000.00")
    for outcome in outcomes:
        for _ in range(2):
            apply_transfer_result(withdrawal_id=withdrawal.pk, status=outcome)
    (note,) = told(member, event)
    assert note.context["amount"] == "NGN 1,000.00"
    if event == "withdrawal_sent":
        assert note.context["destination"].endswith("****6789")


def test_a_transfer_tells_the_recipient_who_sent_it():
    sender, recipient = UserFactory(first_name="Amina", last_name="Wanjiru"), UserFactory()
    fund_wallet(sender, "1000.00")
    client = APIClient()
    client.force_authenticate(user=sender)
    answer = client.post(
        "/api/v1/wallet/transfer/",
        {"amount": "250.00", "currency": "KES", "recipient": recipient.email},
        HTTP_IDEMPOTENCY_KEY="one-transfer",
        HTTP_X_PIN_TOKEN=pin_token(sender),
    )
    assert answer.status_code == 201, answer.json()
    (note,) = told(recipient, "transfer_received")
    assert note.title == "You received KES 250.00" and note.body.startswith("Amina Wanjiru sent you")
    assert told(sender, "transfer_received") == []


@pytest.mark.parametrize(("code", "event"), [("1020", "kyc_approved"), ("1022", "kyc_rejected")])
def test_a_kyc_result_replayed_tells_once(code, event):
    member = UserFactory()
    submission = KycSubmission.objects.create(
        user=member,
        country="NG",
        id_type="NIN",
        id_number="12345678901",
        id_number_hash="x",
        first_name="Ada",
        last_name="Obi",
        date_of_birth="1990-04-01",
    )
    for _ in range(2):
        apply_kyc_result(result=KycResult(job_id=str(submission.pk), result_code=code, result_text="No Match"))
    (note,) = told(member, event)
    assert note.context == ({"tier": "Full"} if event == "kyc_approved" else {"reason": "No Match"})


def test_a_sign_in_from_a_new_device_tells_once_per_device():
    member = UserFactory()

    def sign_in(agent):
        answer = APIClient().post(
            "/api/v1/auth/login/", {"email": member.email, "password": DEFAULT_PASSWORD}, HTTP_USER_AGENT=agent
        )
        assert answer.status_code == 200

    sign_in("Pamoja/1.0 (Android 14)")
    sign_in("Pamoja/1.0 (Android 14)")
    sign_in("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    devices = [note.context["device"] for note in told(member, "new_sign_in")]
    assert sorted(devices) == ["Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "Pamoja/1.0 (Android 14)"]


def test_pin_and_password_changes_are_told():
    member = UserFactory()
    client = APIClient()
    client.force_authenticate(user=member)
    assert client.post("/api/v1/auth/pin/", {"pin": "7391", "password": DEFAULT_PASSWORD}).status_code in (200, 204)
    changed = client.post(
        "/api/v1/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": "another-horse-battery-9"}
    )
    assert changed.status_code == 200, changed.json()
    assert len(told(member, "pin_changed")) == 1 and len(told(member, "password_changed")) == 1


def test_a_customers_reward_is_texted_once_and_its_expiry_warned_once():
    tenant = make_tenant(display_name="Mama Mboga Stores")
    customer = make_customer(tenant, "+263771234567")
    reward = make_reward(tenant, make_budget(tenant), reward_type="discount", name="10% off", validity_days=2)
    with within(tenant):
        issuance = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    issued = Delivery.objects.get(event="loyalty_reward_issued")
    assert issued.address == "+263771234567" and issued.channel == "sms"
    assert issued.context["merchant"] == "Mama Mboga Stores" and issued.sealed_context  # the code, encrypted
    for _ in range(2):
        with within(tenant):
            warn_expiring_issuances(tenant=tenant, now=timezone.now() + timedelta(days=1))
    warned = Delivery.objects.get(event="loyalty_reward_expiring")
    assert warned.address == customer.phone and warned.context["reward"] == "10% off"
    assert issuance.code not in str(issued.context)


def test_two_factor_turned_on_and_off_is_told_each_time():
    member = UserFactory()
    two_factor.start_setup(user=member)
    two_factor.confirm_setup(user=member, code=pyotp.TOTP(member.totp_secret).now())
    client = APIClient()
    client.force_authenticate(user=member)
    off = client.post("/api/v1/auth/2fa/disable/", {"password": DEFAULT_PASSWORD})
    assert off.status_code == 204, off.content
    assert len(told(member, "two_factor_enabled")) == 1 and len(told(member, "two_factor_disabled")) == 1
