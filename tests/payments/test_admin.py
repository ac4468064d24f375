"""Finance staff in the admin: read-only money, a reversal that asks for a reason, CSV export."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import StaffAuditEntry
from payments.models import LedgerTransaction, TransactionKind
from payments.selectors import wallet_balance
from payments.services import Leg, get_wallet, post_transaction
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payments/ledgertransaction/"


@pytest.fixture
def transfer():
    sender, recipient = UserFactory(), UserFactory()
    source = fund_wallet(sender, "100.00")
    target = get_wallet(user_id=recipient.pk, currency="KES")
    posted = post_transaction(
        kind=TransactionKind.TRANSFER,
        legs=[Leg(source, Decimal("-40.00")), Leg(target, Decimal("40.00"))],
        idempotency_key="admin-t",
    )
    return posted, sender, recipient


def staff_client(*perms: str) -> Client:
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_ledgertransaction", *perms]))
    client = Client()
    client.force_login(staff)
    return client


def test_reversal_asks_for_a_reason_then_reverses(transfer, ledger_is_clean):
    posted, sender, recipient = transfer
    client = staff_client("reverse_ledgertransaction")
    ask = client.post(CHANGELIST, {"action": "reverse_selected", "_selected_action": [posted.pk]})
    assert ask.status_code == 200 and b"reason" in ask.content
    assert not LedgerTransaction.objects.filter(reverses=posted).exists()
    done = client.post(
        CHANGELIST,
        {"action": "reverse_selected", "_selected_action": [posted.pk], "reason": "sent to the wrong member"},
    )
    assert done.status_code == 302
    reversal = LedgerTransaction.objects.get(reverses=posted)
    assert reversal.memo == "sent to the wrong member"
    assert wallet_balance(user_id=sender.pk, currency="KES") == Decimal("100.00")
    assert wallet_balance(user_id=recipient.pk, currency="KES") == 0


def test_staff_without_the_permission_cannot_reverse(transfer):
    posted, _, _ = transfer
    client = staff_client()
    client.post(CHANGELIST, {"action": "reverse_selected", "_selected_action": [posted.pk], "reason": "because I can"})
    assert not LedgerTransaction.objects.filter(reverses=posted).exists()


def test_ledger_is_read_only_in_the_admin(transfer):
    posted, _, _ = transfer
    client = staff_client("change_ledgertransaction", "delete_ledgertransaction")
    assert client.get(f"{CHANGELIST}{posted.pk}/change/").status_code == 200
    assert client.post(f"{CHANGELIST}{posted.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerTransaction.objects.filter(pk=posted.pk).exists()


def test_csv_export(transfer):
    posted, _, _ = transfer
    response = staff_client().post(CHANGELIST, {"action": "export_as_csv", "_selected_action": [posted.pk]})
    assert response["Content-Type"] == "text/csv"
    rows = response.content.decode().splitlines()
    assert rows[0].startswith("id,kind,reference") and rows[1].startswith(f"{posted.pk},transfer")


def test_a_reversal_is_audited_with_actor_reason_and_address(transfer):
    posted, _, _ = transfer
    client = staff_client("reverse_ledgertransaction")
    client.post(
        CHANGELIST,
        {"action": "reverse_selected", "_selected_action": [posted.pk], "reason": "duplicate payment"},
        HTTP_USER_AGENT="finance-browser",
        REMOTE_ADDR="10.20.30.40",
    )
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.target_id, entry.reason) == ("ledger.reverse", str(posted.pk), "duplicate payment")
    assert (entry.ip_address, entry.user_agent) == ("10.20.30.40", "finance-browser")


def test_audit_entries_cannot_be_edited_or_deleted_in_the_admin():
    boss = UserFactory(is_staff=True, is_superuser=True)
    entry = StaffAuditEntry.objects.create(actor=boss, action="x", target_type="t", target_id="1")
    client = Client()
    client.force_login(boss)
    url = f"/admin/accounts/staffauditentry/{entry.pk}/"
    assert client.get(f"{url}change/").status_code == 200  # viewable
    assert client.post(f"{url}change/", {"reason": "edited"}).status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == ""


def test_staff_edit_of_a_user_is_audited():
    boss = UserFactory(is_staff=True, is_superuser=True)
    member = UserFactory(is_verified=False)
    client = Client()
    client.force_login(boss)
    page = client.get(f"/admin/accounts/user/{member.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in {"groups", "user_permissions", "password"}
    }
    data.update(
        is_verified="on",
        date_joined_0=member.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=member.date_joined.strftime("%H:%M:%S"),
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{member.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = StaffAuditEntry.objects.get(action="user.change")
    assert entry.target_id == str(member.pk) and "is_verified" in entry.details["fields"]
