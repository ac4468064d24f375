"""Without a separate SPA (`FRONTEND_URL` left at `SITE_URL`) every link Pamoja emails opens a page here: the
verification and reset links complete their action through a CSRF-protected form, an invite names its group, an
app screen says what the app would show; and `/` is a landing page, not a 404."""

import html
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from groups.models import SavingsGroup
from tests.factories import UserFactory
from tests.fixtures.groups import CHAMA

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-long-password-7"
LINK = re.compile(r"https?://[^\s<>\"']+")
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture(autouse=True)
def _no_spa(settings, monkeypatch):
    settings.FRONTEND_URL = settings.SITE_URL
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


@pytest.fixture
def browser() -> Client:
    """A browser: CSRF is checked as in production."""
    return Client(enforce_csrf_checks=True)


def links_in(mail) -> set[str]:
    """The links of the plain text and of the HTML (where `urlize` percent-encodes a token's colons)."""
    texts = [mail.body] + [content for content, _mime in getattr(mail, "alternatives", [])]
    return {html.unescape(link) for text in texts for link in LINK.findall(text)}


def text_link(mail) -> str:
    (link,) = LINK.findall(mail.body)
    return link


def path_of(url: str, settings) -> str:
    assert url.startswith(f"{settings.SITE_URL}/"), url
    return url[len(settings.SITE_URL) :]


def open_page(browser: Client, url: str, settings):
    response = browser.get(path_of(url, settings))
    assert 200 <= response.status_code < 300, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), url
    return response


def submit(browser: Client, page, **fields):
    """Post the page's form as a browser would: its hidden fields (the CSRF token among them) and `fields`."""
    hidden = {name: html.unescape(value) for name, value in HIDDEN.findall(page.content.decode())}
    assert "csrfmiddlewaretoken" in hidden
    return browser.post(page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"], {**hidden, **fields})


def signup(email: str) -> None:
    body = {
        "email": email,
        "password": "a-long-enough-password-1",
        "first_name": "Wanjiru",
        "last_name": "Kamau",
        "phone_number": "+254733000111",
    }
    assert APIClient().post("/api/v1/auth/signup/", body, format="json").status_code == 202


def mail_to(mailoutbox, address: str, words: str):
    (mail,) = [m for m in mailoutbox if m.to == [address] and words in m.body]
    return mail


def test_every_emailed_link_and_invite_link_opens_a_page(
    mailoutbox, messages_delivered, forming_group, browser, settings
):
    signup("wanjiru@example.com")
    UserFactory(email="reset.me@example.com")
    assert APIClient().post("/api/v1/auth/password/reset/", {"email": "reset.me@example.com"}).status_code == 202
    group, (chair, _member) = forming_group(size=2, **CHAMA)
    UserFactory(email="friend@example.com")
    for address in ("new@example.com", "friend@example.com"):
        assert chair.post(f"groups/{group['id']}/invites/", {"email": address}).status_code == 202

    # verification: the link opens a form; its button confirms the address
    verify_link = text_link(mail_to(mailoutbox, "wanjiru@example.com", "Confirm your email"))
    assert "/verify-email?token=" in verify_link
    page = open_page(browser, verify_link, settings)
    assert not User.objects.get(email="wanjiru@example.com").is_verified  # opening the link changes nothing
    done = submit(browser, page)
    assert done.status_code == 200 and b"wanjiru@example.com" in done.content and b"is confirmed" in done.content
    assert User.objects.get(email="wanjiru@example.com").is_verified

    # password reset: the link opens a form that sets the new password
    reset_link = text_link(mail_to(mailoutbox, "reset.me@example.com", "Reset your Pamoja password"))
    assert "/reset-password?uid=" in reset_link
    page = open_page(browser, reset_link, settings)
    done = submit(browser, page, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert done.status_code == 200 and b"Your password is changed" in done.content
    login = APIClient().post(
        "/api/v1/auth/login/", {"email": "reset.me@example.com", "password": NEW_PASSWORD}, format="json"
    )
    assert login.status_code == 200
    assert submit(browser, page, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD).status_code == 400

    # invites: the emailed link and the group's own invite_link name the group and its code
    name = SavingsGroup.objects.get(pk=group["id"]).name
    invite_links = links_in(mail_to(mailoutbox, "new@example.com", group["invite_code"]))
    assert invite_links and group["invite_link"]
    for link in invite_links | {group["invite_link"]}:
        page = open_page(browser, link, settings).content.decode()
        assert html.escape(name) in page and group["invite_code"] in page and "/groups/join/" in page

    # and every link of every message sent, the security notices the reset sent among them, opens a page
    opened = set()
    for mail in mailoutbox:
        for link in links_in(mail):
            open_page(browser, link, settings)
            opened.add(path_of(link, settings).split("?")[0])
    assert {"/verify-email", "/reset-password", f"/invites/{group['invite_code']}", "/profile"} <= opened


def test_a_bad_or_altered_link_says_so(browser, user):
    page = browser.get("/verify-email", {"token": "not-a-real-token"})
    assert page.status_code == 200
    answer = submit(browser, page)
    assert answer.status_code == 400 and b"invalid, expired or already used" in answer.content
    assert b"incomplete" in browser.get("/verify-email").content
    assert b"incomplete" in browser.get("/reset-password", {"uid": "x"}).content
    page = browser.get("/reset-password", {"uid": "eA", "token": "made-up"})
    answer = submit(browser, page, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD)
    assert answer.status_code == 400 and b"invalid, expired or already used" in answer.content
    gone = browser.get("/join/NOSUCHCODE234")
    assert gone.status_code == 404 and b"matches no group open to join" in gone.content


def test_the_reset_form_checks_the_password_as_the_api_does(browser, user, mailoutbox, messages_delivered, settings):
    APIClient().post("/api/v1/auth/password/reset/", {"email": user.email})
    link = text_link(mailoutbox[0])
    page = open_page(browser, link, settings)
    differ = submit(browser, page, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD + "x")
    assert differ.status_code == 400 and b"The two passwords differ." in differ.content
    weak = submit(browser, page, new_password="password", new_password_again="password")
    assert weak.status_code == 400 and b"too common" in weak.content
    assert b'name="new_password"' in weak.content  # the form again, to try another
    assert submit(browser, page, new_password=NEW_PASSWORD, new_password_again=NEW_PASSWORD).status_code == 200


def test_a_form_without_its_csrf_token_is_refused(browser, user):
    answer = browser.post("/verify-email", {"token": "anything"})
    assert answer.status_code == 403


def test_the_forms_share_the_apis_rate(browser, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    page = browser.get("/verify-email", {"token": "not-a-real-token"})
    assert [submit(browser, page).status_code for _ in range(2)] == [400, 400]
    refused = submit(browser, page)
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 61
    api = APIClient().post("/api/v1/auth/verify-email/", {"token": "not-a-real-token"}, format="json")
    assert api.status_code == 429


def test_pages_with_a_token_are_not_cached(browser):
    response = browser.get("/reset-password", {"uid": "eA", "token": "t"})
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_an_app_screen_says_what_the_app_would_show(browser):
    response = browser.get("/groups/4f1c2d3e-0000-4000-8000-000000000001/loans")
    assert response.status_code == 200 and b"the group&#x27;s loans" in response.content
    assert browser.get("/wallet/").status_code == 200


def test_the_landing_page_links_to_docs_admin_and_health(client):
    response = client.get("/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    targets = set(re.findall(r'href="(/[^"]*)"', page))
    assert {"/api/docs/", "/api/redoc/", "/admin/", "/api/v1/health/"} <= targets
    for target in targets:
        answer = client.get(target, follow=True)
        assert answer.status_code == 200, target
