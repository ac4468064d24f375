"""The finance-staff console in a real browser (issue 18): Debian's chromium, driven by playwright, on a live server.

A Finance member signs in with password and two-factor code, finds a member by phone and verifies them, opens a
ledger transaction, reverses it with a reason (the wallet's balance changes, the staff audit log has the entry),
resolves a payment review, and sees the dashboard's charts drawn. A Support member finds the same member by phone
and is refused the reversal. Screenshots of each step go to the test's temporary folder.

Needs /usr/bin/chromium (`apt-get install chromium`; `.ci/run` installs it): skipped with that reason locally when
it is missing, a failure on CI (PAMOJA_FORBID_SKIPS=1)."""

import importlib
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyotp
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.models import StaffAuditEntry, User
from payments.models import Charge, ChargeStatus, LedgerTransaction, PaymentReview, TransactionKind
from payments.selectors import wallet_balance
from payments.services import Leg, get_wallet, post_transaction
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.fixtures.money import fund_wallet

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = "+254711000222"

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser(monkeypatch) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium); .ci/run installs it"
        if os.environ.get("PAMOJA_FORBID_SKIPS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # playwright's sync API runs an event loop in this thread; Django refuses ORM calls there unless told it is safe
    # (it is: the test's own queries never run inside that loop's coroutines).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
            # While that loop runs, Django keeps this thread's connections apart (per context, as for async code):
            # close them here, or one stays open and PostgreSQL refuses to drop the test database at the end.
            connections.close_all()


@pytest.fixture
def staff_roles(transactional_db) -> None:
    """The roles the data migration made. A live-server test runs in a transactional database, which an earlier
    transactional test may have flushed (the permissions come back after a flush; the groups do not)."""
    roles = importlib.import_module("console.migrations.0002_staff_groups").ROLES
    for name, names in roles.items():
        group, made = Group.objects.get_or_create(name=name)
        if made or not group.permissions.exists():
            found = []
            for permission in names:
                app_label, codename = permission.split(".")
                if permission == "*.view_*":
                    found += list(Permission.objects.filter(codename__startswith="view_"))
                else:
                    found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            group.permissions.set(found)
    later = importlib.import_module("console.migrations.0003_finance_verifies_and_new_views")
    finance = Group.objects.get(name="Finance")  # and what that later migration added
    for app_label, codename in later.FINANCE_ALSO:
        finance.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def staff(role: str) -> User:
    user = UserFactory(is_staff=True, totp_secret=pyotp.random_base32(), totp_enabled=True)
    user.groups.add(Group.objects.get(name=role))
    return user


class Console:
    """One staff member's browser tab on the admin, saving a screenshot at each step."""

    def __init__(self, page: Page, base: str, shots: Path, who: str) -> None:
        self.page, self.base, self.shots, self.who = page, base, shots, who
        self.taken = 0

    def shot(self, name: str) -> None:
        self.taken += 1
        self.page.screenshot(path=str(self.shots / f"{self.who}-{self.taken:02d}-{name}.png"), full_page=True)

    def open(self, path: str) -> int:
        answer = self.page.goto(self.base + path)
        assert answer is not None
        return answer.status

    def sign_in(self, user: User) -> None:
        assert self.open("/admin/") == 200  # the login page, after the redirect
        self.page.fill("#id_username", user.email)
        self.page.fill("#id_password", DEFAULT_PASSWORD)
        self.page.fill("#id_otp_code", pyotp.TOTP(user.totp_secret).now())
        self.shot("login")
        self.page.click("input[type=submit]")
        expect(self.page.locator("#user-tools")).to_contain_text("Log out")
        self.shot("index")

    def search(self, path: str, query: str) -> None:
        assert self.open(path) == 200
        self.page.fill("#searchbar", query)
        self.page.press("#searchbar", "Enter")
        self.page.wait_for_load_state()

    def run_action(self, action: str, pks: list[object], fields: dict[str, str], confirm: str) -> None:
        """Tick rows in the changelist shown, choose the action, then answer its confirmation page."""
        for pk in pks:
            self.page.check(f"input.action-select[value='{pk}']")
        self.page.select_option("select[name=action]", action)
        self.page.click("button[name=index]")
        yes = self.page.locator(f"input[type=submit][value='{confirm}']")
        expect(yes).to_be_visible()  # the confirmation page: nothing is done yet
        self.shot(f"{action}-asks")
        for name, value in fields.items():
            field = self.page.locator(f"[name={name}]")
            if field.first.get_attribute("type") == "radio":
                self.page.check(f"[name={name}][value={value}]")
            else:
                field.fill(value)
        yes.click()
        self.page.wait_for_load_state()
        self.shot(f"{action}-done")


CANVASES_DRAWN = """() => [...document.querySelectorAll("canvas")].map((canvas) => {
    const blank = document.createElement("canvas");
    blank.width = canvas.width;
    blank.height = canvas.height;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) painted++; }
    return {
        chart: canvas.dataset.chart,
        width: canvas.width,
        height: canvas.height,
        painted,
        differsFromBlank: canvas.toDataURL() !== blank.toDataURL(),
    };
})"""


def test_finance_and_support_work_the_console_in_a_browser(staff_roles, live_server, browser, tmp_path):
    # --- the world: a member who sent 400 to the wrong person, another's deposit under review ----------------------
    member = UserFactory(phone_number=PHONE, first_name="Amina", last_name="Wanjiru", is_verified=False)
    wrong = UserFactory(first_name="Baraka")
    source = fund_wallet(member, "1000.00")
    mistake = post_transaction(
        kind=TransactionKind.TRANSFER,
        legs=[Leg(source, Decimal("-400.00")), Leg(get_wallet(user_id=wrong.pk, currency="KES"), Decimal("400.00"))],
        idempotency_key="e2e-wrong-transfer",
        reference="E2E-WRONG-MEMBER",
        memo="rent",
    )
    untouched = post_transaction(
        kind=TransactionKind.TRANSFER,
        legs=[Leg(source, Decimal("-100.00")), Leg(get_wallet(user_id=wrong.pk, currency="KES"), Decimal("100.00"))],
        idempotency_key="e2e-right-transfer",
        reference="E2E-RIGHT-MEMBER",
        memo="school fees",
    )
    depositor = UserFactory()
    charge = Charge.objects.create(
        reference="PMJ-E2E-REVIEW",
        user=depositor,
        provider="paystack",
        amount=Decimal("1500.00"),
        currency="KES",
        callback_token="e2e-review-token",
    )
    review = PaymentReview.objects.create(charge=charge, reason="Provider's charge differs from our record")
    finance, support = staff("Finance"), staff("Support")
    base = live_server.url

    # --- Finance ------------------------------------------------------------------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Console(context.new_page(), base, tmp_path, "finance")
    tab.sign_in(finance)

    tab.search("/admin/accounts/user/", PHONE)  # find the member by phone
    rows = tab.page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Amina")
    tab.shot("member-found")
    rows.first.locator("th a").click()
    expect(tab.page.locator(".field-phone_number")).to_contain_text(PHONE)
    assert str(member.pk) in tab.page.url
    tab.shot("member")

    tab.search("/admin/accounts/user/", PHONE)  # verify them
    tab.run_action("verify_selected", [member.pk], {"reason": "checked the email by phone"}, "Yes, verify users")
    expect(tab.page.locator("ul.messagelist")).to_contain_text("verified")
    member.refresh_from_db()
    assert member.is_verified
    entry = StaffAuditEntry.objects.get(action="user.verify")
    assert (entry.actor, entry.target_id, entry.reason) == (finance, str(member.pk), "checked the email by phone")
    tab.shot("member-verified")

    tab.search("/admin/payments/ledgeraccount/", str(member.pk))  # the member's wallet, and its balance
    expect(tab.page.locator("#result_list tbody tr")).to_have_count(1)
    expect(tab.page.locator("#result_list td.field-balance")).to_have_text("500.00")
    tab.shot("wallet-before")

    tab.search("/admin/payments/ledgertransaction/", "E2E-WRONG-MEMBER")  # open the transaction
    tab.page.locator(f"#result_list a[href*='/ledgertransaction/{mistake.pk}/']").click()
    expect(tab.page.locator("body")).to_contain_text("-400.00")
    tab.shot("transaction")

    tab.search("/admin/payments/ledgertransaction/", "E2E-WRONG-MEMBER")  # and reverse it
    tab.run_action(
        "reverse_selected", [mistake.pk], {"reason": "sent to the wrong member"}, "Yes, reverse transactions"
    )
    expect(tab.page.locator("ul.messagelist")).to_contain_text("reversed by #")
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("900.00")

    tab.search("/admin/payments/ledgeraccount/", str(member.pk))  # the balance changed
    expect(tab.page.locator("#result_list td.field-balance")).to_have_text("900.00")
    tab.shot("wallet-after")

    assert tab.open("/admin/accounts/staffauditentry/?action=ledger.reverse") == 200  # the audit entry
    audit = tab.page.locator("#result_list tbody tr")
    expect(audit).to_have_count(1)
    expect(audit.first).to_contain_text("ledger.reverse")
    expect(audit.first).to_contain_text("sent to the wrong member")
    expect(audit.first).to_contain_text(finance.email)
    tab.shot("audit")

    assert tab.open("/admin/payments/paymentreview/?resolved__exact=0") == 200  # resolve the payment review
    tab.run_action(
        "resolve_selected",
        [review.pk],
        {"outcome": "credit", "reason": "provider confirmed by phone"},
        "Yes, resolve reviews",
    )
    expect(tab.page.locator("ul.messagelist")).to_contain_text("resolved")
    review.refresh_from_db()
    charge.refresh_from_db()
    assert review.resolved and charge.status == ChargeStatus.SUCCEEDED
    assert wallet_balance(user_id=depositor.pk, currency="KES") == Decimal("1500.00")

    assert tab.open("/admin/dashboard/") == 200  # the dashboard's charts are drawn
    tab.page.wait_for_function("() => window.Chart !== undefined && document.querySelectorAll('canvas').length > 0")
    tab.page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].every((c) => window.Chart.getChart(c) !== undefined)"
    )
    canvases = tab.page.evaluate(CANVASES_DRAWN)
    tab.shot("dashboard")
    assert {c["chart"] for c in canvases} >= {"daily", "rates", "contributions", "loans"}, canvases
    for canvas in canvases:
        assert canvas["width"] > 0 and canvas["height"] > 0, canvas
        assert canvas["painted"] > 0 and canvas["differsFromBlank"], canvas
    deposits_drawn = tab.page.evaluate(
        """() => window.Chart.getChart(document.querySelector("canvas[data-chart=daily][data-currency=KES]"))
            .data.datasets.find((d) => d.label === "deposits").data.map(Number).reduce((a, b) => a + b, 0)"""
    )
    assert deposits_drawn == 1500  # the review's credited deposit is in today's bar
    context.close()

    # --- Support ------------------------------------------------------------------------------------------------
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Console(context.new_page(), base, tmp_path, "support")
    tab.sign_in(support)

    tab.search("/admin/accounts/user/", PHONE)  # Support finds the member by phone too
    expect(tab.page.locator("#result_list tbody tr")).to_have_count(1)

    # refused the reversal: the ledger is not theirs to see, and the action posted anyway is refused
    assert tab.open(f"/admin/payments/ledgertransaction/{untouched.pk}/change/") == 403
    assert tab.open("/admin/payments/ledgertransaction/") == 403
    tab.shot("ledger-refused")
    assert tab.open("/admin/") == 200
    refused = tab.page.evaluate(
        """async (pk) => {
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            const body = new URLSearchParams({
                action: "reverse_selected", _selected_action: pk, reason: "support tries a reversal",
            });
            const answer = await fetch("/admin/payments/ledgertransaction/", {
                method: "POST", body, headers: {"X-CSRFToken": token}, redirect: "manual",
            });
            return answer.status;
        }""",
        str(untouched.pk),
    )
    assert refused == 403
    context.close()

    assert not LedgerTransaction.objects.filter(reverses=untouched).exists()
    assert LedgerTransaction.objects.filter(reverses=mistake).count() == 1
    assert sorted(StaffAuditEntry.objects.values_list("action", flat=True)) == [
        "ledger.reverse",
        "review.credit",
        "user.verify",
    ]
    assert wallet_balance(user_id=member.pk, currency="KES") == Decimal("900.00")
    assert sorted(p.name for p in tmp_path.glob("*.png"))  # the screenshots were saved
