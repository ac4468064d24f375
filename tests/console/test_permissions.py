"""The staff roles (console/migrations/0002_staff_groups.py) through the admin: each of Finance, Support and Auditor
sees and can do exactly its part. Staff sign in as they do for real: password and two-factor code."""

from datetime import timedelta
from decimal import Decimal

import pyotp
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import KycStatus, KycSubmission, StaffAuditEntry, User
from notifications import services
from notifications.models import Delivery, DeliveryStatus
from payments.models import LedgerTransaction, TransactionKind
from payments.selectors import wallet_balance
from payments.services import Leg, get_wallet, post_transaction
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

ROLES = ("Finance", "Support", "Auditor")


def sign_in(user: User) -> Client:
    """The admin's own login form, with a two-factor code."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = True
    user.save(update_fields=["totp_secret", "totp_enabled"])
    client = Client()
    answer = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": user.email,
            "password": DEFAULT_PASSWORD,
            "otp_code": pyotp.TOTP(user.totp_secret).now(),
            "next": "/admin/",
        },
    )
    assert answer.status_code == 302, answer.content
    return client


def staff_in(role: str) -> tuple[User, Client]:
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=role))
    return staff, sign_in(staff)


@pytest.fixture
def transfer():
    sender, recipient = UserFactory(), UserFactory()
    source = fund_wallet(sender, "100.00")
    posted = post_transaction(
        kind=TransactionKind.TRANSFER,
        legs=[Leg(source, Decimal("-40.00")), Leg(get_wallet(user_id=recipient.pk, currency="KES"), Decimal("40.00"))],
        idempotency_key="roles-transfer",
    )
    return posted, sender, recipient


def test_the_roles_are_made_by_the_migration():
    perms = {
        role: {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}
        for role in ROLES
    }
    assert {"console.run_money_corrections", "payments.view_ledgertransaction", "accounts.view_user"} <= perms[
        "Finance"
    ]
    assert "console.verify_users" in perms["Finance"]  # the console's front line confirms members too
    assert {"console.verify_users", "notifications.change_delivery", "accounts.view_user"} <= perms["Support"]
    assert "groups.view_savingsgroup" in perms["Support"]
    assert not {p for p in perms["Support"] if p.split(".")[0] in {"payments", "contributions", "billpay", "loyalty"}}
    assert all(p.split(".")[1].startswith("view_") for p in perms["Auditor"])
    assert perms["Auditor"] == {p for p in perms["Finance"] if p.split(".")[1].startswith("view_")}


SEES = {
    # page: (Finance, Support, Auditor)
    "/admin/": (200, 200, 200),
    "/admin/dashboard/": (200, 200, 200),
    "/admin/payments/ledgertransaction/": (200, 403, 200),
    "/admin/payments/charge/": (200, 403, 200),
    "/admin/payments/paymentreview/": (200, 403, 200),
    "/admin/contributions/contribution/": (200, 403, 200),
    "/admin/billpay/billorder/": (200, 403, 200),
    "/admin/loyalty/issuance/": (200, 403, 200),
    "/admin/accounts/user/": (200, 200, 200),
    "/admin/accounts/kycsubmission/": (200, 200, 200),
    "/admin/accounts/staffauditentry/": (200, 403, 200),
    "/admin/groups/savingsgroup/": (200, 200, 200),
    "/admin/notifications/delivery/": (200, 200, 200),
}


def test_each_role_sees_its_part():
    clients = [staff_in(role)[1] for role in ROLES]
    seen = {page: tuple(client.get(page).status_code for client in clients) for page in SEES}
    assert seen == SEES


def test_the_auditor_and_support_change_nothing_on_a_users_page():
    member = UserFactory(first_name="Before")
    for role in ("Support", "Auditor"):
        _, client = staff_in(role)
        url = f"/admin/accounts/user/{member.pk}/change/"
        assert client.get(url).status_code == 200
        assert client.post(url, {"email": member.email, "first_name": "After"}).status_code == 403
        assert client.post(f"/admin/accounts/user/{member.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.get("/admin/accounts/user/add/").status_code == 403
    member.refresh_from_db()
    assert member.first_name == "Before"


def reverse(client: Client, posted: LedgerTransaction, reason: str | None = "sent to the wrong member"):
    data = {"action": "reverse_selected", "_selected_action": [posted.pk]}
    return client.post("/admin/payments/ledgertransaction/", {**data, **({"reason": reason} if reason else {})})


def test_only_finance_reverses_a_transaction_with_a_reason_after_a_confirmation_page(transfer, ledger_is_clean):
    posted, sender, recipient = transfer
    for role in ("Support", "Auditor"):
        reverse(staff_in(role)[1], posted)
    assert not LedgerTransaction.objects.filter(reverses=posted).exists()

    finance, client = staff_in("Finance")
    page = reverse(client, posted, reason=None)
    assert page.status_code == 200 and b"Yes, reverse transactions" in page.content and b"reason" in page.content
    too_short = reverse(client, posted, reason="oops")
    assert too_short.status_code == 200 and not LedgerTransaction.objects.filter(reverses=posted).exists()
    assert reverse(client, posted).status_code == 302
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("100.00")
    assert wallet_balance(user_id=recipient.pk, currency="KES") == 0
    entry = StaffAuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.reason) == (finance, "ledger.reverse", "sent to the wrong member")
    reverse(client, posted)  # once
    assert LedgerTransaction.objects.filter(reverses=posted).count() == 1
    assert StaffAuditEntry.objects.count() == 1


def verify(client: Client, member: User):
    return client.post(
        "/admin/accounts/user/",
        {"action": "verify_selected", "_selected_action": [member.pk], "reason": "checked the email by phone"},
    )


def test_support_and_finance_verify_a_user_and_auditors_cannot():
    member, other = UserFactory(is_verified=False), UserFactory(is_verified=False)
    verify(staff_in("Auditor")[1], member)
    member.refresh_from_db()
    assert not member.is_verified
    verify(staff_in("Support")[1], member)
    verify(staff_in("Finance")[1], other)
    member.refresh_from_db()
    other.refresh_from_db()
    assert member.is_verified and other.is_verified
    assert list(StaffAuditEntry.objects.values_list("action", flat=True)) == ["user.verify", "user.verify"]


def test_only_support_resends_a_notification():
    notification = services.notify(user=UserFactory(), event="pin_changed", context={})
    services.dispatch(notification_id=notification.pk)
    delivery = Delivery.objects.filter(notification=notification).first()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=5)
    for role, allowed in (("Auditor", False), ("Finance", False), ("Support", True)):
        _, client = staff_in(role)
        answer = client.post(
            "/admin/notifications/delivery/",
            {"action": "resend_selected", "_selected_action": [delivery.pk], "reason": "member lost the SMS"},
            follow=True,
        )
        shown = [str(m) for m in answer.context["messages"]]
        assert any("queued to send again" in m for m in shown) is allowed, (role, shown)
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("delivery.resend", "member lost the SMS")


def test_only_finance_suspends_a_user_and_that_ends_their_sessions():
    member = UserFactory()
    member_staff, member_client = staff_in("Auditor")  # a staff member suspended: their admin session ends too
    assert member_client.get("/admin/").status_code == 200
    for target in (member, member_staff):
        _, support = staff_in("Support")
        support.post(
            "/admin/accounts/user/",
            {"action": "suspend_selected", "_selected_action": [target.pk], "reason": "fraud report"},
        )
        target.refresh_from_db()
        assert target.is_active
    _, finance = staff_in("Finance")
    finance.post(
        "/admin/accounts/user/",
        {"action": "suspend_selected", "_selected_action": [member.pk, member_staff.pk], "reason": "fraud report"},
    )
    for target in (member, member_staff):
        target.refresh_from_db()
        assert not target.is_active and target.tokens_valid_after is not None
    assert member_client.get("/admin/").status_code == 302  # sent to the login page
    assert set(StaffAuditEntry.objects.values_list("action", flat=True)) == {"user.suspend"}


def test_only_finance_decides_a_kyc_submission():
    member = UserFactory(kyc_tier=0)
    submission = KycSubmission.objects.create(
        user=member,
        country="KE",
        id_type="NATIONAL_ID",
        id_number="12345678",
        id_number_hash="hash",
        first_name="A",
        last_name="Member",
        date_of_birth="1990-01-01",
    )
    data = {"action": "approve_selected", "_selected_action": [submission.pk], "reason": "documents seen", "tier": "2"}
    for role in ("Support", "Auditor"):
        staff_in(role)[1].post("/admin/accounts/kycsubmission/", data)
    submission.refresh_from_db()
    assert submission.status == KycStatus.PENDING
    _, finance = staff_in("Finance")
    page = finance.post(
        "/admin/accounts/kycsubmission/", {k: v for k, v in data.items() if k not in {"reason", "tier"}}
    )
    assert page.status_code == 200 and b"tier" in page.content
    finance.post("/admin/accounts/kycsubmission/", data)
    submission.refresh_from_db()
    member.refresh_from_db()
    assert (submission.status, submission.tier_granted, member.kyc_tier) == (KycStatus.APPROVED, 2, 2)
    finance.post("/admin/accounts/kycsubmission/", {**data, "action": "reject_selected"})  # decided once
    submission.refresh_from_db()
    assert submission.status == KycStatus.APPROVED
    assert list(StaffAuditEntry.objects.values_list("action", flat=True)) == ["kyc.approve"]


def test_a_staff_session_ends_after_30_minutes_idle_but_an_api_sign_in_does_not():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _, client = staff_in("Auditor")
        member = UserFactory()
        tokens = (
            Client()
            .post(
                "/api/v1/auth/login/",
                {"email": member.email, "password": DEFAULT_PASSWORD},
                content_type="application/json",
            )
            .json()
        )
        for _ in range(3):  # in use: each request keeps it alive, well past 30 minutes in all
            clock.shift(timedelta(minutes=29))
            assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=31))
        answer = client.get("/admin/")
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
        # the API's refresh token keeps its own lifetime (days), untouched by the staff idle limit
        refreshed = Client().post(
            "/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, content_type="application/json"
        )
        assert refreshed.status_code == 200, refreshed.content


def test_finance_bans_a_user_for_good_and_reactivates_only_the_suspended():
    banned, suspended = UserFactory(), UserFactory(is_active=False)
    _, client = staff_in("Finance")
    client.post(
        "/admin/accounts/user/", {"action": "ban_selected", "_selected_action": [banned.pk], "reason": "fraud ring"}
    )
    banned.refresh_from_db()
    assert not banned.is_active and banned.banned_at is not None and banned.tokens_valid_after is not None
    answer = client.post(
        "/admin/accounts/user/",
        {"action": "reactivate_selected", "_selected_action": [banned.pk, suspended.pk], "reason": "appeal upheld"},
        follow=True,
    )
    shown = [str(m) for m in answer.context["messages"]]
    assert any("cannot be reactivated" in m for m in shown), shown
    banned.refresh_from_db()
    suspended.refresh_from_db()
    assert (banned.is_active, suspended.is_active) == (False, True)
    assert sorted(StaffAuditEntry.objects.values_list("action", flat=True)) == ["user.ban", "user.reactivate"]
    page = client.get(f"/admin/accounts/user/{banned.pk}/change/")
    assert b'name="is_active"' not in page.content  # not even the change form lifts a ban


def test_support_and_auditors_cannot_ban():
    member = UserFactory()
    for role in ("Support", "Auditor"):
        staff_in(role)[1].post(
            "/admin/accounts/user/", {"action": "ban_selected", "_selected_action": [member.pk], "reason": "fraud ring"}
        )
    member.refresh_from_db()
    assert member.is_active and member.banned_at is None
