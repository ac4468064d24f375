"""The staff console: the admin index says what needs staff today, the dashboard shows the money with charts, both
in a fixed number of queries however many rows there are, and neither opens to anyone but staff."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app as celery_app
from console.models import LedgerCheckRun
from console.selectors import dashboard_figures
from payments.services.withdrawals import withdrawal_fee
from payments.tasks import ledger_check
from tests.console.conftest import build_world, staff_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INDEX = "/admin/"
DASHBOARD = "/admin/dashboard/"
# Measured with the world below: the session and the user, then on the index one COUNT per item (the two review
# items share one), the last ledger check and the admin's recent actions; on the dashboard one GROUP BY per figure.
# A staff member who is not a superuser adds two reads of their permissions (cached for the request). Every page
# then saves the session (a savepoint, the update, its release): that keeps an active staff session alive, and an
# idle one ends after 30 minutes (SESSION_COOKIE_AGE, SESSION_SAVE_EVERY_REQUEST).
INDEX_QUERIES = 13
DASHBOARD_QUERIES = 14
PERMISSION_QUERIES = 2
FINANCE_VIEWS = (
    "view_paymentreview",
    "view_billorder",
    "view_kycsubmission",
    "view_reconciliationdecision",
    "view_webhookdelivery",
    "view_ledgercheckrun",
)


def _todo(response) -> dict:
    return {item.label: item for item in response.context["todo"]}


def test_the_index_counts_what_needs_staff_and_links_to_those_rows(world):
    LedgerCheckRun.objects.create(discrepancies=0)
    client = staff_client(superuser=True)
    answer = client.get(INDEX)
    assert answer.status_code == 200
    todo = _todo(answer)
    assert todo["Payment reviews open"].count == 2
    assert todo["Withdrawals held for review"].count == 1
    assert todo["Bill orders pending over an hour"].count == 1
    assert todo["KYC submissions waiting"].count == 1
    assert todo["Reconciliation decisions waiting (last 24 hours)"].count == 1
    assert todo["Webhooks that failed the signature check (last 24 hours)"].count == 1
    assert todo["Ledger check"].detail.startswith("the books balance")
    assert not todo["Ledger check"].alert

    # each link opens the admin list of exactly the rows counted (the admin refuses a filter it does not allow
    # by redirecting with ?e=1, so a 200 with that many rows proves the link)
    for label, item in todo.items():
        if item.url is None or item.count is None:
            continue
        listed = client.get(item.url)
        assert listed.status_code == 200, (label, item.url)
        if label not in ("Withdrawals held for review", "Ledger check"):  # its open reviews; the runs
            assert listed.context["cl"].result_count == item.count, (label, item.url)
    assert b"Open the dashboard" in answer.content


def test_kyc_without_an_admin_list_is_counted_without_a_link(world):
    from accounts.models import KycSubmission

    client = staff_client(superuser=True)
    item = _todo(client.get(INDEX))["KYC submissions waiting"]
    assert item.count == 1
    assert (item.url is None) == (not admin.site.is_registered(KycSubmission))  # linked once someone registers it


def test_staff_see_only_the_items_they_may_view(world):
    client = staff_client(perms=("view_paymentreview",))
    todo = _todo(client.get(INDEX))
    assert set(todo) == {"Payment reviews open", "Withdrawals held for review"}


def test_the_last_ledger_check_run_is_recorded_and_shown():
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        ledger_check.delay()
    finally:
        celery_app.conf.task_always_eager = eager
    run = LedgerCheckRun.objects.get()
    assert run.discrepancies == 0 and run.error == ""
    item = _todo(staff_client(superuser=True).get(INDEX))["Ledger check"]
    assert item.detail.startswith("the books balance") and item.url.startswith("/admin/console/ledgercheckrun/")


def test_a_ledger_check_run_by_hand_is_recorded_too():
    call_command("ledger_check", stdout=StringIO())
    run = LedgerCheckRun.objects.get()
    assert (run.discrepancies, run.task_id) == (0, "manage.py ledger_check")


def test_a_stale_or_failing_ledger_check_is_an_alert():
    client = staff_client(superuser=True)
    assert _todo(client.get(INDEX))["Ledger check"].detail == "no run recorded yet"
    run = LedgerCheckRun.objects.create(discrepancies=3)
    item = _todo(client.get(INDEX))["Ledger check"]
    assert item.alert and item.detail.startswith("3 discrepancies")
    LedgerCheckRun.objects.filter(pk=run.pk).update(discrepancies=0, finished_at=timezone.now() - timedelta(days=2))
    item = _todo(client.get(INDEX))["Ledger check"]
    assert item.alert and "no run since" in item.detail


def test_the_dashboard_adds_up_the_world(world):
    figures = dashboard_figures()
    volume = figures["volume"]
    assert volume["deposits"]["KES"]["month"].amount == Decimal("1500.00")
    assert volume["deposits"]["NGN"]["today"].count == 2
    assert volume["deposits"]["NGN"]["today"].amount == Decimal("17000.00")
    assert volume["withdrawals"]["KES"]["month"].amount == Decimal("1000.00")
    assert volume["transfers"]["NGN"]["month"].amount == Decimal("5000.00")
    assert volume["bills"]["NGN"]["month"].amount == Decimal("500.00")
    mpesa = figures["rates"]["deposits"]["mpesa"]
    assert (mpesa.succeeded, mpesa.failed, mpesa.pending, mpesa.percent) == (1, 1, 1, 50.0)
    assert figures["rates"]["withdrawals"]["mpesa"].percent == 50.0
    # the paid withdrawal's fee is Pamoja's; the returned one's never was
    fee = withdrawal_fee(provider="mpesa", currency="KES")
    assert fee > 0 and figures["income"]["ledger"]["Fee income"]["KES"]["today"] == fee
    assert figures["income"]["penalties"]["KES"]["month"] == Decimal("100.00")
    assert figures["groups"]["Active"] == 1 and figures["groups"]["Forming"] == 1
    contributions = figures["contributions"]
    assert [contributions[k].count for k in ("on_time", "late", "owed", "not_yet_due")] == [1, 1, 1, 1]
    loans = figures["loans"]["KES"]
    assert (loans["outstanding"].count, loans["outstanding"].amount) == (2, Decimal("6000.00"))
    assert (loans["in_arrears"].count, loans["in_arrears"].amount) == (1, Decimal("3000.00"))
    assert figures["charts"]["daily"]["KES"]["datasets"][0]["label"] == "deposits"


def test_the_dashboard_page_draws_its_charts_from_our_own_static_files(world):
    answer = staff_client(superuser=True).get(DASHBOARD)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "/static/console/vendor/chartjs/chart.umd.min.js" in page
    assert "/static/console/dashboard.js" in page
    assert 'id="console-charts"' in page and "<canvas" in page
    assert "cdn" not in page.lower()
    assert "script-src 'self'" in answer["Content-Security-Policy"]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_index_and_dashboard_run_a_fixed_number_of_queries(django_assert_max_num_queries):
    build_world(scale=1)
    LedgerCheckRun.objects.create(discrepancies=0)
    client = staff_client(superuser=True)
    finance = staff_client(perms=FINANCE_VIEWS)
    small = {url: _queries(client, url) for url in (INDEX, DASHBOARD)}
    build_world(scale=3)
    large = {url: _queries(client, url) for url in (INDEX, DASHBOARD)}
    assert large == small == {INDEX: INDEX_QUERIES, DASHBOARD: DASHBOARD_QUERIES}  # 4x the rows, the same queries
    with django_assert_max_num_queries(INDEX_QUERIES):
        client.get(INDEX)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        client.get(DASHBOARD)
    with django_assert_max_num_queries(INDEX_QUERIES + PERMISSION_QUERIES):
        answer = finance.get(INDEX)
    assert len(answer.context["todo"]) == 7


@pytest.mark.parametrize("url", [INDEX, DASHBOARD])
def test_a_member_who_is_not_staff_is_refused(url, world):
    member = Client()
    member.force_login(UserFactory())
    answer = member.get(url)
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    assert Client().get(url).status_code == 302  # nor anyone signed out
