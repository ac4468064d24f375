"""The console's read-only pages: a savings group's health and a member's detail. Staff only; each page checks the
staff member may view the group or the user (through its ModelAdmin), each part of a member's page is shown only to
staff who may view its model, and both run as many queries with three times the rows as with one copy of them.
Also the paybill payments' admin list and the index's "waiting in suspense" item."""

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Device, User
from contributions.models import PaybillPayment, PaybillStatus
from contributions.services.paybill import receive_paybill_payment
from groups.models import SavingsGroup
from payments.providers.mpesa.adapter import C2BConfirmation
from tests.console.conftest import build_world, staff_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SERIAL = itertools.count(1)


def health_url(group: SavingsGroup) -> str:
    return reverse("admin:group_health", args=[group.pk])


def member_url(user: User) -> str:
    return reverse("admin:member_detail", args=[user.pk])


def in_role(role: str) -> Client:
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(staff)
    return client


def paybill_payment(*, bill_ref: str = "NOSUCHACCT", group: SavingsGroup | None = None) -> PaybillPayment:
    """A payment into the paybill naming no member: it waits in suspense (optionally marked as the group's)."""
    n = next(SERIAL)
    payment = receive_paybill_payment(
        confirmation=C2BConfirmation(
            trans_id=f"RKT{n:07d}",
            short_code="174379",
            bill_ref=bill_ref,
            amount=Decimal("750.00"),
            msisdn=f"2547009{n:05d}",
            payer_name="John Doe",
            paid_at=datetime(2027, 1, 5, 7, 15, tzinfo=UTC),
        )
    )
    assert payment.status == PaybillStatus.SUSPENSE
    if group is not None:
        PaybillPayment.objects.filter(pk=payment.pk).update(group=group)
    return payment


def sign_in_records(user: User) -> None:
    """A sign-in, a failed one, and the lock-out counter it started (one per username, address and agent)."""
    n = next(SERIAL)
    AccessLog.objects.create(username=user.email, ip_address="10.0.0.1", user_agent="Firefox", http_accept="*/*")
    AccessFailureLog.objects.create(username=user.email, ip_address="10.0.0.2", user_agent="curl", http_accept="*/*")
    AccessAttempt.objects.create(
        username=user.email,
        ip_address="10.0.0.2",
        user_agent=f"curl/{n}",
        http_accept="*/*",
        get_data="",
        post_data="",
        failures_since_start=2,
    )


def member_world(scale: int) -> dict:
    """The console's world, plus for each copy's people a device, sign-in records and a KYC submission (bob's),
    and a paybill payment in suspense per group."""
    made = build_world(scale=scale)
    for user in made["users"]:
        Device.objects.create(user=user, fcm_token=f"fcm-{user.pk.hex}", platform="android", name="Tecno")
        sign_in_records(user)
    for group in made["groups"]:
        paybill_payment(group=group)
    return made


# --- Group health ---------------------------------------------------------------------------------------------


def test_group_health_shows_collected_against_expected_arrears_and_the_loan_book(world):
    group = world["groups"][0]
    answer = staff_client(superuser=True).get(health_url(group))
    assert answer.status_code == 200
    health = answer.context["health"]
    first, later = health["cycles"]  # the first with three contributions (two paid), the later with one owed
    amount = str(group.contribution_amount.quantize(Decimal("0.01")))
    assert (first["expected"], first["collected"]) == (str(3 * Decimal(amount)), str(2 * Decimal(amount)))
    assert (later["expected"], later["collected"]) == (amount, "0.00")
    assert health["collected"] == str(2 * group.contribution_amount.quantize(Decimal("0.01")))
    assert len(health["defaulters"]) == 1  # carol's contribution is late
    assert health["defaulters"][0]["url"] == member_url(world["users"][2])
    loans = health["loans"]
    assert (loans["loans_open"], len(loans["in_arrears"])) == (2, 1)
    assert loans["in_arrears_links"][0]["url"] == reverse(
        "admin:contributions_loan_change", args=[loans["in_arrears"][0]]
    )
    page = answer.content.decode()
    for section in ("health-summary", "health-cycles", "health-defaulters", "health-loans"):
        assert f'id="{section}"' in page
    assert "Welfare fund balance" in page


def test_group_health_links_open_lists_of_the_groups_rows(world):
    group = world["groups"][0]
    paybill_payment(group=group)
    paybill_payment()  # another group's, or none: not counted
    client = staff_client(superuser=True)
    links = client.get(health_url(group)).context["links"]
    assert client.get(links["group"]).status_code == 200
    counts = {}
    for name in ("cycles", "loans", "paybill_waiting"):
        listed = client.get(links[name])
        assert listed.status_code == 200, (name, links[name])
        counts[name] = listed.context["cl"].result_count
    assert counts == {"cycles": 2, "loans": 2, "paybill_waiting": 1}


def test_a_savings_group_shows_its_savings_and_next_share_out(world):
    group = world["groups"][0]
    SavingsGroup.objects.filter(pk=group.pk).update(scheme="savings", share_out_date=timezone.localdate())
    answer = staff_client(superuser=True).get(health_url(group))
    assert answer.status_code == 200
    assert answer.context["health"]["savings"]["next_share_out"]
    assert b"Next share-out" in answer.content


def test_the_group_pages_link_to_its_health(world):
    group = world["groups"][0]
    client = staff_client(superuser=True)
    listed = client.get(reverse("admin:groups_savingsgroup_changelist"))
    assert health_url(group).encode() in listed.content
    page = client.get(reverse("admin:groups_savingsgroup_change", args=[group.pk]))
    assert health_url(group).encode() in page.content


def test_an_unknown_group_is_not_found(db):
    import uuid

    assert staff_client(superuser=True).get(f"/admin/console/groups/{uuid.uuid4()}/health/").status_code == 404


# --- Member detail ---------------------------------------------------------------------------------------------


def test_member_detail_shows_groups_wallets_kyc_devices_sign_ins_and_transactions(db):
    made = member_world(1)
    bob = made["users"][1]
    answer = staff_client(superuser=True).get(member_url(bob))
    assert answer.status_code == 200
    context = answer.context
    assert [row["membership"].group_id for row in context["memberships"]] == [made["groups"][0].pk]
    assert context["memberships"][0]["health_url"] == health_url(made["groups"][0])
    assert dict(context["wallets"]["balances"]).keys() == {"KES", "NGN"}
    assert [row["submission"].status for row in context["kyc"]] == ["pending"]
    assert [device.name for device in context["devices"]] == ["Tecno"]
    assert {row["outcome"] for row in context["sign_ins"]} == {
        "signed in",
        "failed",
        "2 failed attempts counting towards a lock-out",
    }
    transactions = context["transactions"]
    assert 0 < len(transactions) <= 10
    assert transactions[0]["url"] == reverse(
        "admin:payments_ledgertransaction_change", args=[transactions[0]["entry"].transaction_id]
    )
    page = answer.content.decode()
    for section in ("person", "groups", "wallets", "transactions", "kyc", "devices", "sign-ins"):
        assert f'id="member-{section}"' in page
    assert "may not view" not in page


def test_member_detail_links_open(db):
    made = member_world(1)
    alice = made["users"][0]
    client = staff_client(superuser=True)
    context = client.get(member_url(alice)).context
    assert client.get(context["wallets"]["url"]).context["cl"].result_count == 2  # her KES and NGN wallets
    for label, url in context["money_lists"].items():
        assert client.get(url).status_code == 200, label
    assert client.get(context["transactions"][0]["url"]).status_code == 200
    assert client.get(context["user_url"]).status_code == 200


def test_the_user_page_links_to_the_member_detail(world):
    alice = world["users"][0]
    page = staff_client(superuser=True).get(reverse("admin:accounts_user_change", args=[alice.pk]))
    assert member_url(alice).encode() in page.content


# --- Who may see them --------------------------------------------------------------------------------------------


def test_a_member_who_is_not_staff_is_refused_both_pages(world):
    member = Client()
    member.force_login(world["users"][0])
    for url in (health_url(world["groups"][0]), member_url(world["users"][1])):
        answer = member.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/"), url
        assert Client().get(url).status_code == 302  # nor anyone signed out


def test_staff_who_may_not_view_the_group_or_user_are_refused(world):
    client = staff_client(perms=("view_paymentreview",))
    assert client.get(health_url(world["groups"][0])).status_code == 403
    assert client.get(member_url(world["users"][0])).status_code == 403


def test_support_sees_both_pages_without_the_money_parts_of_a_member(db):
    made = member_world(1)
    support = in_role("Support")
    assert support.get(health_url(made["groups"][0])).status_code == 200
    answer = support.get(member_url(made["users"][1]))
    assert answer.status_code == 200
    context = answer.context
    assert context["memberships"] and context["kyc"]  # Support views users, their groups and KYC
    assert context["memberships"][0]["health_url"] == health_url(made["groups"][0])
    # no money (and nothing Support's role does not view): wallets, ledger, devices, sign-in records
    assert (context["wallets"], context["transactions"], context["devices"], context["sign_ins"]) == (None,) * 4
    assert context["money_lists"] == {}
    assert b"Your role may not view wallets" in answer.content


def test_auditors_see_every_part(db):
    made = member_world(1)
    auditor = in_role("Auditor")
    assert auditor.get(health_url(made["groups"][0])).status_code == 200
    context = auditor.get(member_url(made["users"][1])).context
    parts = ("memberships", "wallets", "kyc", "devices", "sign_ins", "transactions")
    assert all(context[part] for part in parts), {part: context[part] for part in parts}


# --- Bounded queries ---------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_both_pages_run_as_many_queries_with_three_times_the_rows():
    boss = staff_client(superuser=True)
    support = in_role("Support")
    auditor = in_role("Auditor")
    made = member_world(1)
    group, person = made["groups"][0], made["users"][1]
    pages = [
        (name, client, url)
        for name, client in (("boss", boss), ("support", support), ("auditor", auditor))
        for url in (health_url(group), member_url(person))
    ]
    for _name, client, url in pages:
        client.get(url)  # the session is saved once before counting
    once = {(name, url): _queries(client, url) for name, client, url in pages}
    member_world(2)  # three copies in all: more users, groups, money, devices, sign-ins elsewhere
    # and more of this member's and this group's own rows, beyond what the pages show
    for n in range(12):
        Device.objects.create(user=person, fcm_token=f"more-{person.pk.hex}-{n}", platform="ios")
        sign_in_records(person)
        paybill_payment(group=group)
    thrice = {(name, url): _queries(client, url) for name, client, url in pages}
    assert thrice == once
    assert max(once.values()) < 40, once


# --- Paybill payments -------------------------------------------------------------------------------------------


def test_paybill_payments_in_suspense_are_on_the_index_with_a_link_to_them(world):
    group = world["groups"][0]
    waiting = [paybill_payment(group=group), paybill_payment()]
    client = staff_client(superuser=True)
    todo = {item.label: item for item in client.get("/admin/").context["todo"]}
    item = todo["Paybill payments waiting in suspense"]
    assert item.count == 2
    listed = client.get(item.url)
    assert listed.status_code == 200
    assert {row.pk for row in listed.context["cl"].result_list} == {payment.pk for payment in waiting}


def test_paybill_payments_are_found_by_receipt_account_and_phone_and_filtered(world):
    group = world["groups"][0]
    mine = paybill_payment(bill_ref="ABC123-7", group=group)
    paybill_payment()
    client = staff_client(superuser=True)
    url = reverse("admin:contributions_paybillpayment_changelist")
    for query in (mine.trans_id, "ABC123-7", mine.msisdn):
        listed = client.get(url, {"q": query})
        assert [row.pk for row in listed.context["cl"].result_list] == [mine.pk], query
    assert client.get(url, {"group__id__exact": str(group.pk)}).context["cl"].result_count == 1
    assert client.get(url, {"status__exact": "suspense"}).context["cl"].result_count == 2
    assert client.get(url, {"status__exact": "matched"}).context["cl"].result_count == 0
    page = client.get(reverse("admin:contributions_paybillpayment_change", args=[mine.pk]))
    assert page.status_code == 200 and b"Save" not in page.content  # read-only


def test_support_does_not_see_paybill_payments(world):
    paybill_payment()
    todo = {item.label for item in in_role("Support").get("/admin/").context["todo"]}
    assert "Paybill payments waiting in suspense" not in todo
