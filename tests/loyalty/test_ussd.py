"""The USSD channel end to end, as Africa's Talking's gateway drives it: a form post per step with every input so far
in `text`, answered `CON …` or `END …` within 182 characters."""

import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from loyalty.channels import ussd
from loyalty.models import (
    Channel,
    ConsentRecord,
    Customer,
    IssuanceState,
    Tenant,
    UssdSession,
)
from loyalty.services.issuances import issue_reward, redeem_issuance
from loyalty.tenancy import all_tenants, tenant_context
from tests.factories import UserFactory
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within

TOKEN = "ussd-test-token"
CODE = "*384*12#"
PHONE = "+254711000111"


@pytest.fixture(autouse=True)
def callback_token(settings):
    settings.USSD_CALLBACK_TOKEN = TOKEN
    settings.USSD_SESSION_TIMEOUT = 180


@pytest.fixture
def shop(db) -> Tenant:
    return make_tenant(name="Duka Bora", ussd_service_code=CODE)


class Gateway:
    """Africa's Talking for one dial: each `send` adds an input and posts the whole history."""

    def __init__(self, *, session: str = "ATUid_1", phone: str = PHONE, code: str = CODE, token: str = TOKEN):
        self.client = APIClient()
        self.session, self.phone, self.code, self.token = session, phone, code, token
        self.inputs: list[str] = []

    def post(self, text: str):
        body = {"sessionId": self.session, "serviceCode": self.code, "phoneNumber": self.phone, "text": text}
        return self.client.post(
            f"/api/v1/channels/ussd/{self.token}/",
            data=urlencode({**body, "networkCode": "63902"}),
            content_type="application/x-www-form-urlencoded",
        )

    def dial(self) -> str:
        return self._answer(self.post(""))

    def send(self, choice: str) -> str:
        self.inputs.append(choice)
        return self._answer(self.post("*".join(self.inputs)))

    @staticmethod
    def _answer(response) -> str:
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        text = response.content.decode()
        assert text.startswith(("CON ", "END ")), text
        assert len(text) <= ussd.LIMIT, (len(text), text)
        assert text.isascii(), text
        return text


def session_row(tenant: Tenant, session_id: str = "ATUid_1") -> UssdSession:
    with within(tenant):
        return UssdSession.objects.get(tenant=tenant, session_id=session_id)


def give(tenant: Tenant, customer: Customer, *names: str, validity_days: int | None = 30):
    budget = make_budget(tenant)
    issued = []
    for name in names:
        reward = make_reward(tenant, budget, name=name, validity_days=validity_days)
        with within(tenant):
            issued.append(issue_reward(tenant=tenant, customer=customer, reward=reward, actor="job:test"))
    return issued


# --- a whole dial -------------------------------------------------------------------------------------------------


def test_a_new_caller_joins_with_consent_then_sees_the_member_menu(shop):
    gateway = Gateway()
    home = gateway.dial()
    assert home == "CON Duka Bora\n1 Join\n2 Balance\n3 Language"

    balance = gateway.send("2")
    assert "not a member" in balance and "1 Join now" in balance
    assert gateway.send("1") == "CON Join Duka Bora rewards.\nGet offers by SMS?\n1 Yes\n2 No\n0 Back 00 Home"
    joined = gateway.send("1")
    assert joined == "CON Welcome! You have joined.\nDuka Bora\n1 Balance\n2 My rewards\n3 Redeem\n4 Language"

    with within(shop):
        customer = Customer.objects.get(tenant=shop, phone=PHONE)
        consent = ConsentRecord.objects.get(tenant=shop, customer=customer)
    assert customer.channel == Channel.USSD
    assert (consent.channel, consent.granted, consent.source) == ("sms", True, "ussd")
    row = session_row(shop)
    assert (row.customer_id, row.screen, row.stack, row.inputs_seen) == (customer.pk, "home", [], 3)


def test_saying_no_to_offers_is_recorded_as_a_refusal(shop):
    gateway = Gateway()
    gateway.dial()
    gateway.send("1")
    gateway.send("2")
    with within(shop):
        consent = ConsentRecord.objects.get(tenant=shop, customer__phone=PHONE)
    assert (consent.channel, consent.granted) == ("sms", False)


def test_a_member_sees_balance_and_rewards_and_redeems_one_at_the_till(shop):
    customer = make_customer(shop, PHONE, points=120)
    bread, coffee = give(shop, customer, "Free bread", "Coffee 50% off")
    gateway = Gateway()
    assert gateway.dial() == "CON Duka Bora\n1 Balance\n2 My rewards\n3 Redeem\n4 Language"

    balance = gateway.send("1")
    assert "Points: 120" in balance and "Rewards to use: 2" in balance and balance.endswith("0 Back 00 Home")
    assert gateway.send("00").startswith("CON Duka Bora\n1 Balance")

    rewards = gateway.send("2")
    assert rewards.startswith("CON Your rewards:\n1. Free bread (to ")
    assert "2. Coffee 50% off (to " in rewards
    assert gateway.send("0").startswith("CON Duka Bora\n1 Balance")

    assert gateway.send("3") == "CON Pick a reward:\n1 Free bread\n2 Coffee 50% off\n0 Back 00 Home"
    code = gateway.send("2")
    assert code.startswith(f"END Show this code at the till:\n{coffee.code}\nCoffee 50% off\nValid to ")
    assert session_row(shop).ended_at is not None

    with within(shop):  # the till takes the code the caller read out
        redeemed = redeem_issuance(tenant=shop, issuance_id=coffee.pk, actor="job:till", code=coffee.code)
        bread.refresh_from_db()
    assert redeemed.state == IssuanceState.REDEEMED
    assert bread.state == IssuanceState.ISSUED  # only the one picked


def test_a_member_with_no_rewards_is_told_so(shop):
    make_customer(shop, PHONE)
    gateway = Gateway()
    gateway.dial()
    assert gateway.send("3") == "CON You have no rewards yet.\n0 Back 00 Home"
    assert gateway.send("1").startswith("CON Invalid choice.\nYou have no rewards yet.")


def test_a_reward_used_since_the_list_was_shown_is_not_given(shop):
    customer = make_customer(shop, PHONE)
    (bread,) = give(shop, customer, "Free bread")
    gateway = Gateway()
    gateway.dial()
    gateway.send("3")
    with within(shop):
        redeem_issuance(tenant=shop, issuance_id=bread.pk, actor="job:till")
    assert gateway.send("1") == "CON That reward is no longer available.\nYou have no rewards yet.\n0 Back 00 Home"
    assert session_row(shop).ended_at is None


# --- keys and bad input -------------------------------------------------------------------------------------------


def test_back_goes_one_screen_back_and_home_goes_home(shop):
    gateway = Gateway()
    gateway.dial()
    gateway.send("2")  # balance
    consent = gateway.send("1")  # join: asks for consent
    assert session_row(shop).stack == ["home", "balance"]
    assert "not a member" in gateway.send("0")  # back to balance
    assert gateway.send("0").startswith("CON Duka Bora\n1 Join")  # back home
    assert gateway.send("0").startswith("CON Duka Bora\n1 Join")  # nothing behind home
    gateway.send("2")
    assert gateway.send("1") == consent
    assert gateway.send("00").startswith("CON Duka Bora\n1 Join")
    row = session_row(shop)
    assert (row.screen, row.stack) == ("home", [])


@pytest.mark.parametrize("bad", ["9", "x", "", "1a", "+1", "٣", "005"])
def test_a_bad_input_shows_the_same_screen_again_and_changes_nothing(shop, bad):
    gateway = Gateway()
    gateway.dial()
    gateway.send("1")  # the consent question
    before = session_row(shop)
    again = gateway.send(bad)
    assert again == "CON Invalid choice.\nJoin Duka Bora rewards.\nGet offers by SMS?\n1 Yes\n2 No\n0 Back 00 Home"
    after = session_row(shop)
    assert (after.screen, after.stack, after.customer_id) == (before.screen, before.stack, None)
    with within(shop):
        assert not Customer.objects.filter(tenant=shop).exists()
    assert gateway.send("2").startswith("CON Welcome!")  # the dial goes on


def test_a_step_delivered_twice_is_acted_on_once_and_answered_the_same(shop):
    customer = make_customer(shop, PHONE)
    gateway = Gateway()
    gateway.dial()
    gateway.send("4")
    first = gateway.send("2")  # Shona
    again = gateway._answer(gateway.post("4*2"))
    assert again == first
    older = gateway._answer(gateway.post("4"))  # a late copy of an earlier step: the last answer, nothing redone
    assert older == first
    row = session_row(shop)
    assert (row.inputs_seen, row.screen, row.language) == (2, "home", "sn")
    with within(shop):
        customer.refresh_from_db()
    assert customer.language == "sn"


# --- languages ----------------------------------------------------------------------------------------------------


def test_switching_to_shona_changes_every_screen_and_is_kept_for_the_next_dial(shop):
    customer = make_customer(shop, PHONE, points=7)
    gateway = Gateway()
    gateway.dial()
    assert gateway.send("4") == "CON Choose a language:\n1 English\n2 ChiShona\n3 Kiswahili\n0 Back 00 Home"
    shona = gateway.send("2")
    assert shona == (
        "CON Mutauro wachinjwa.\nDuka Bora\n1 Mapoinzi angu\n2 Mibayiro yangu\n3 Shandisa mubayiro\n4 Mutauro"
    )
    assert gateway.send("1") == "CON Duka Bora\nMapoinzi: 7\nMibayiro: 0\n0 Dzokera 00 Kutanga"
    assert gateway.send("9").startswith("CON Sarudzo isiriyo.")
    with within(shop):
        customer.refresh_from_db()
    assert customer.language == "sn"

    next_dial = Gateway(session="ATUid_2")
    assert next_dial.dial().startswith("CON Duka Bora\n1 Mapoinzi angu")


def test_a_language_chosen_before_joining_is_the_new_members(shop):
    gateway = Gateway()
    gateway.dial()
    gateway.send("3")
    assert gateway.send("3").startswith("CON Lugha imehifadhiwa.\nDuka Bora\n1 Jiunge")
    gateway.send("1")
    assert gateway.send("1").startswith("CON Karibu! Umejiunga.")
    with within(shop):
        assert Customer.objects.get(tenant=shop, phone=PHONE).language == "sw"


# --- the end of a dial --------------------------------------------------------------------------------------------


def test_an_idle_session_times_out_and_stays_ended(shop):
    gateway = Gateway()
    gateway.dial()
    gateway.send("2")
    with within(shop):  # `update` leaves auto_now alone
        UssdSession.objects.filter(tenant=shop).update(updated_at=timezone.now() - timedelta(seconds=181))
    assert gateway.send("1") == "END Session timed out. Dial again."
    row = session_row(shop)
    assert row.ended_at is not None and row.screen == "balance"
    assert gateway.send("1") == "END This session has ended. Dial again."
    with within(shop):
        assert not Customer.objects.filter(tenant=shop).exists()
    assert Gateway(session="ATUid_2").dial().startswith("CON Duka Bora")  # a new dial starts afresh


def test_a_session_within_the_timeout_goes_on(shop):
    gateway = Gateway()
    gateway.dial()
    with within(shop):
        UssdSession.objects.filter(tenant=shop).update(updated_at=timezone.now() - timedelta(seconds=170))
    assert "not a member" in gateway.send("2")


def test_an_ended_session_answers_end_and_a_retry_of_its_last_step_gets_the_same_answer(shop):
    customer = make_customer(shop, PHONE)
    (bread,) = give(shop, customer, "Free bread", validity_days=None)
    gateway = Gateway()
    gateway.dial()
    gateway.send("3")
    code = gateway.send("1")
    assert code == f"END Show this code at the till:\n{bread.code}\nFree bread"
    assert gateway._answer(gateway.post("3*1")) == code  # the gateway retried: the same answer
    assert gateway.send("0") == "END This session has ended. Dial again."


# --- tenants, tokens, garbage -------------------------------------------------------------------------------------


def test_each_service_code_reaches_its_own_tenant_and_customers(shop):
    other = make_tenant(name="Other Shop", ussd_service_code="*384*99#")
    make_customer(other, PHONE, points=500)
    here = Gateway(code=CODE)
    assert here.dial().startswith("CON Duka Bora\n1 Join")  # not a member here
    assert "Points" not in here.send("2")
    there = Gateway(code="*384*99#")  # the same session id and phone, another tenant: another session
    assert there.dial().startswith("CON Other Shop\n1 Balance")
    assert "Points: 500" in there.send("1")
    with all_tenants():
        assert UssdSession.objects.filter(session_id="ATUid_1").count() == 2
        assert Customer.objects.filter(phone=PHONE).count() == 1


def test_an_unknown_service_code_is_not_available_and_stores_nothing(shop):
    answer = Gateway(code="*999#").dial()
    assert answer == "END This service is not available."
    with all_tenants():
        assert not UssdSession.objects.exists()


def test_a_session_id_of_another_phone_is_not_theirs(shop):
    Gateway().dial()
    intruder = Gateway(phone="+254722000222")
    intruder.inputs = ["4"]
    assert intruder._answer(intruder.post("4")) == "END This service is not available."
    row = session_row(shop)
    assert (row.phone, row.inputs_seen, row.screen) == (PHONE, 0, "home")


@pytest.mark.parametrize("token", ["wrong", TOKEN + "x", "ussd-test-toke", "ü"])
def test_a_wrong_token_is_not_found_and_stores_nothing(shop, token):
    response = Gateway(token=token).post("")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    with all_tenants():
        assert not UssdSession.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "sessionId"),
        ({"serviceCode": CODE, "phoneNumber": PHONE}, "sessionId"),
        ({"sessionId": "  ", "serviceCode": CODE, "phoneNumber": PHONE}, "sessionId"),
        ({"sessionId": "s", "serviceCode": CODE, "phoneNumber": "not a phone"}, "phoneNumber"),
        ({"sessionId": "s", "serviceCode": CODE, "phoneNumber": "+2547"}, "phoneNumber"),
        ({"sessionId": "s", "serviceCode": CODE}, "phoneNumber"),
        ({"sessionId": "s", "phoneNumber": PHONE}, "serviceCode"),
        ({"sessionId": "s", "serviceCode": CODE, "phoneNumber": PHONE, "text": "1\x002"}, "text"),
        ({"sessionId": "s" * 101, "serviceCode": CODE, "phoneNumber": PHONE}, "sessionId"),
        ({"sessionId": "s", "serviceCode": CODE, "phoneNumber": PHONE, "text": "1*" * 251}, "text"),
    ],
)
def test_a_body_that_is_no_step_is_refused_in_the_error_shape(shop, body, field):
    response = APIClient().post(
        f"/api/v1/channels/ussd/{TOKEN}/", data=urlencode(body), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    with all_tenants():
        assert not UssdSession.objects.exists()


def test_json_is_not_the_gateways_format(shop):
    response = APIClient().post(
        f"/api/v1/channels/ussd/{TOKEN}/",
        {"sessionId": "s", "serviceCode": CODE, "phoneNumber": PHONE, "text": ""},
        format="json",
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_multipart_and_any_accept_header_are_taken(shop):
    response = APIClient().post(
        f"/api/v1/channels/ussd/{TOKEN}/",
        {"sessionId": "s", "serviceCode": CODE, "phoneNumber": PHONE, "text": ""},
        format="multipart",
        HTTP_ACCEPT="text/plain",
    )
    assert response.status_code == 200
    assert response.content.decode().startswith("CON Duka Bora")


def test_a_step_takes_a_few_queries(shop):
    customer = make_customer(shop, PHONE)
    give(shop, customer, "Free bread")
    gateway = Gateway()
    gateway.dial()
    with CaptureQueriesContext(connection) as queries:
        gateway.send("3")
    bookkeeping = ("SAVEPOINT", "RELEASE SAVEPOINT", "SELECT set_config", "SELECT COALESCE(current_setting")
    work = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith(bookkeeping)]
    assert len(work) == 4, work  # the tenant by its code, the session (locked), the rewards, the session saved


def test_finance_staff_find_a_dial_in_the_admin(shop):
    Gateway().dial()
    staff = Client()
    staff.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = staff.get("/admin/loyalty/ussdsession/", {"q": PHONE})
    assert page.status_code == 200
    assert b"ATUid_1" in page.content
    row = session_row(shop)
    assert staff.get(f"/admin/loyalty/ussdsession/{row.pk}/change/").status_code == 200


# --- screens always fit -------------------------------------------------------------------------------------------


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    head=st.lists(st.text(max_size=200), max_size=4),
    items=st.lists(st.text(max_size=200), max_size=8),
    foot=st.lists(st.text(max_size=40), max_size=2),
    kind=st.sampled_from(["CON", "END"]),
)
def test_every_screen_fits(head, items, foot, kind):
    screen = ussd.fit(kind, head, items, foot)
    assert len(screen) <= ussd.LIMIT
    assert screen.startswith(f"{kind} ")


def test_long_names_are_cut_to_fit_and_every_reward_still_listed(shop):
    long_shop = make_tenant(name="N" * 120, ussd_service_code="*1#")
    customer = make_customer(long_shop, PHONE)
    give(long_shop, customer, *[f"{n} " + "Reward with a very long name " * 4 for n in range(5)])
    gateway = Gateway(code="*1#")
    home = gateway.dial()
    assert home.startswith("CON " + "N" * 37 + "...\n1 Balance")
    listed = gateway.send("3")
    assert all(f"\n{n} {n - 1} Reward" in listed for n in range(1, 6)), listed
    assert listed.endswith("\n0 Back 00 Home")


def test_every_text_is_translated():
    assert all(TEXT.keys() == ussd.TEXT["en"].keys() for TEXT in ussd.TEXT.values())
    assert set(ussd.TEXT) == set(ussd.LANGUAGES)


# --- concurrency (PostgreSQL) -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_step_waits_for_the_session_being_processed():
    shop = make_tenant(name="Duka Bora", ussd_service_code=CODE)
    gateway = Gateway()
    gateway.dial()
    answers: list[str] = []

    def second_request() -> None:
        try:
            answers.append(gateway.send("2"))
        finally:
            connection.close()

    with tenant_context(shop.pk):
        UssdSession.objects.select_for_update().get(tenant=shop)  # a step of this session in progress
        other = threading.Thread(target=second_request)
        other.start()
        time.sleep(0.5)
        assert not answers  # it waits for the lock
    other.join(timeout=10)
    assert answers and "not a member" in answers[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_requests_at_once_make_one_session():
    shop = make_tenant(name="Duka Bora", ussd_service_code=CODE)
    answers: list[str] = []
    barrier = threading.Barrier(2)

    def dial() -> None:
        try:
            barrier.wait()
            answers.append(Gateway().dial())
        finally:
            connection.close()

    threads = [threading.Thread(target=dial) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert answers == ["CON Duka Bora\n1 Join\n2 Balance\n3 Language"] * 2
    with tenant_context(shop.pk):
        assert UssdSession.objects.filter(tenant=shop).count() == 1
