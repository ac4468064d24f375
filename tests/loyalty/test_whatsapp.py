"""The WhatsApp channel over the payloads Meta documents (reference/providers.md §6): the subscription check, signed
deliveries, the conversation (enrol with consent, balance, rewards, a code the till redeems), STOP honoured by
every later message, the 24-hour window, status updates, and the Cloud API sender over a mocked transport."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import httpx
import pytest
import respx
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from core.models import ProcessedEvent, WebhookDelivery
from loyalty.channels import whatsapp_sender
from loyalty.channels.whatsapp_outbox import message_customer, send_template, send_text
from loyalty.channels.whatsapp_sender import CloudApiSender, OutgoingWhatsApp, WhatsAppSendFailed
from loyalty.models import (
    ConsentRecord,
    Customer,
    IssuanceState,
    MessageDirection,
    WhatsAppConversation,
    WhatsAppMessage,
)
from loyalty.services.events import ingest_event
from loyalty.services.issuances import issue_reward, redeem_issuance
from loyalty.services.rules import create_rule
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

URL = "/api/v1/channels/whatsapp/"
NUMBER_ID = "106540352242922"
WA_ID = "254712345678"


@pytest.fixture
def outbox(settings):
    """Replies go out as in production (after the commit, through the Celery task), here at once, to the sandbox."""
    settings.PROVIDERS_SANDBOX = True
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    whatsapp_sender.SANDBOX_SENT.clear()
    yield whatsapp_sender.SANDBOX_SENT
    celery_app.conf.task_always_eager = eager
    whatsapp_sender.SANDBOX_SENT.clear()


@pytest.fixture
def shop(db):
    return make_tenant(whatsapp_phone_number_id=NUMBER_ID, display_name="Duka Bora")


def signed(body: bytes, secret: str | None = None) -> str:
    key = (secret or settings.WHATSAPP_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def text_delivery(text: str, *, wamid: str | None = None, wa_id: str = WA_ID, number_id: str = NUMBER_ID) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number_id},
                            "contacts": [{"profile": {"name": "Amina"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": wamid or f"wamid.{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def status_delivery(wamid: str, status: str, *, number_id: str = NUMBER_ID) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number_id},
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": status,
                                    "timestamp": str(int(time.time())),
                                    "recipient_id": WA_ID,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def post(client, payload: dict | bytes, *, signature: str | None = "good", capture=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {}
    if signature == "good":
        headers["HTTP_X_HUB_SIGNATURE_256"] = signed(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    if capture is None:
        return client.post(URL, data=body, content_type="application/json", **headers)
    with capture(execute=True):
        return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def say(client, shop, outbox, django_capture_on_commit_callbacks):
    """Send a text as the customer; the replies the sandbox took for it."""

    def send(text: str, *, wamid: str | None = None, wa_id: str = WA_ID) -> list[str]:
        before = len(outbox)
        response = post(
            client, text_delivery(text, wamid=wamid, wa_id=wa_id), capture=django_capture_on_commit_callbacks
        )
        assert response.status_code == 200, response.content
        return [message.body for message in list(outbox)[before:]]

    return send


def outbound(tenant) -> list[WhatsAppMessage]:
    with within(tenant):
        return list(WhatsAppMessage.objects.filter(tenant=tenant, direction=MessageDirection.OUTBOUND).order_by("pk"))


# --- the subscription check ----------------------------------------------------------------------------------------


def test_verification_echoes_the_challenge(client):
    response = client.get(
        URL,
        {"hub.mode": "subscribe", "hub.verify_token": settings.WHATSAPP_VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "not-ours", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "__token__", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.verify_token": "__token__"},
        {},
    ],
)
def test_verification_refuses_a_wrong_token_or_mode(client, query):
    query = {k: settings.WHATSAPP_VERIFY_TOKEN if v == "__token__" else v for k, v in query.items()}
    response = client.get(URL, query)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_failed"


# --- signatures ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    [None, "sha256=" + "0" * 64, "bad", "sha1=abc", "wrong-secret"],
    ids=["missing", "zeros", "junk", "sha1", "secret"],
)
def test_an_unsigned_or_wrongly_signed_delivery_is_refused_and_changes_nothing(client, shop, outbox, signature):
    payload = text_delivery("JOIN")
    if signature == "wrong-secret":
        signature = signed(json.dumps(payload).encode(), secret="not-the-app-secret")
    response = post(client, payload, signature=signature)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_invalid"
    delivery = WebhookDelivery.objects.get(provider="whatsapp")  # the raw delivery is kept, and nothing else
    assert delivery.signature_valid is False
    assert delivery.outcome == "signature_invalid"
    assert not ProcessedEvent.objects.filter(provider="whatsapp").exists()
    with within(shop):
        assert not WhatsAppConversation.objects.exists()
        assert not WhatsAppMessage.objects.exists()
    assert list(outbox) == []


def test_a_signed_delivery_is_taken(say, shop):
    replies = say("hello")
    assert len(replies) == 1 and "JOIN" in replies[0]  # unknown text: the help
    delivery = WebhookDelivery.objects.get(provider="whatsapp")
    assert delivery.signature_valid is True
    assert "x-hub-signature-256" in {k.lower() for k in delivery.headers}


def test_a_body_that_is_no_json_is_stored_and_ignored(client, shop, outbox):
    response = post(client, b"not json{")
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert WebhookDelivery.objects.get(provider="whatsapp").outcome == "unreadable"


def test_a_number_no_tenant_has_is_stored_and_answered_ignored(client, shop, outbox):
    response = post(client, text_delivery("JOIN", number_id="999999999"))
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert WebhookDelivery.objects.get(provider="whatsapp").outcome == "unknown_number"
    with within(shop):
        assert not WhatsAppConversation.objects.exists()
    assert list(outbox) == []


# --- the conversation ----------------------------------------------------------------------------------------------


def test_enrol_balance_rewards_and_a_code_the_till_redeems(say, shop, outbox):
    (ask,) = say("JOIN")
    assert "YES" in ask and "Duka Bora" in ask
    with within(shop):
        assert not Customer.objects.exists()  # nothing until they agree

    (welcome,) = say("yes")
    assert "Welcome" in welcome
    with within(shop):
        customer = Customer.objects.get(tenant=shop, phone=f"+{WA_ID}")
        consent = ConsentRecord.objects.get(customer=customer)
        assert (customer.channel, consent.channel, consent.granted, consent.source) == (
            "whatsapp",
            "whatsapp",
            True,
            "whatsapp",
        )

    (balance,) = say("Balance")
    assert "0 points" in balance and "Open rewards: 0" in balance

    budget = make_budget(shop)
    reward = make_reward(shop, budget, name="10% off")
    with within(shop):
        issuance = issue_reward(tenant=shop, customer=customer, reward=reward, actor="job:test")
    (balance,) = say("BALANCE")
    assert "Open rewards: 1" in balance

    (listed,) = say("rewards")
    assert "1. 10% off" in listed

    (code_reply,) = say("REDEEM 1")
    assert issuance.code and issuance.code in code_reply

    with within(shop):  # the till redeems it with the code the customer shows
        redeemed = redeem_issuance(tenant=shop, issuance_id=issuance.pk, actor="job:till", code=issuance.code)
    assert redeemed.state == IssuanceState.REDEEMED
    (gone,) = say("REDEEM 1")
    assert "no longer" in gone

    sent = list(outbox)
    assert all(m.phone_number_id == NUMBER_ID and m.to == WA_ID and m.kind == "text" for m in sent)
    assert sent[0].payload() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": ask},
    }
    assert {m.status for m in outbound(shop)} == {"sandbox"}


def test_no_to_consent_enrols_nobody(say, shop):
    say("JOIN")
    (reply,) = say("NO")
    assert "not joined" in reply
    with within(shop):
        assert not Customer.objects.exists()
        assert not ConsentRecord.objects.exists()


def test_an_unknown_customer_asking_for_balance_is_invited_to_join(say):
    (reply,) = say("BALANCE")
    assert "Send JOIN" in reply


def test_redeem_of_a_number_not_listed_is_explained(say, shop):
    customer = make_customer(shop, f"+{WA_ID}")
    with within(shop):
        ConsentRecord.objects.create(tenant=shop, customer=customer, channel="whatsapp", granted=True, source="api")
    (reply,) = say("REDEEM 7")
    assert "REDEEM 1" in reply


def test_another_customers_reward_cannot_be_asked_for(say, shop):
    """The numbers of REDEEM are this customer's list: another's reward never shows."""
    mine = make_customer(shop, f"+{WA_ID}")
    theirs = make_customer(shop, "+254722000111")
    budget = make_budget(shop)
    reward = make_reward(shop, budget)
    with within(shop):
        other = issue_reward(tenant=shop, customer=theirs, reward=reward, actor="job:test")
    assert mine.pk != theirs.pk
    (listed,) = say("REWARDS")
    assert "no rewards" in listed
    (reply,) = say("REDEEM 1")
    assert other.code not in reply


def test_a_repeated_delivery_is_acted_on_once(say, shop):
    first = say("JOIN", wamid="wamid.HBgLMjU0NzEyMzQ1Njc4FQIAEhgSRUFBRjY2")
    again = say("JOIN", wamid="wamid.HBgLMjU0NzEyMzQ1Njc4FQIAEhgSRUFBRjY2")
    assert len(first) == 1 and again == []
    with within(shop):
        assert WhatsAppMessage.objects.filter(direction=MessageDirection.INBOUND).count() == 1
        assert WhatsAppMessage.objects.filter(direction=MessageDirection.OUTBOUND).count() == 1
    assert WebhookDelivery.objects.filter(provider="whatsapp").count() == 2


def test_the_same_number_talks_to_each_tenant_apart(say, shop, client, django_capture_on_commit_callbacks, outbox):
    other = make_tenant(whatsapp_phone_number_id="200000000000001")
    say("JOIN")
    post(client, text_delivery("BALANCE", number_id="200000000000001"), capture=django_capture_on_commit_callbacks)
    with within(shop):
        assert WhatsAppConversation.objects.get().state == "awaiting_consent"
    with within(other):
        assert WhatsAppConversation.objects.get().state == "idle"
    assert "Send JOIN" in outbox[-1].body and outbox[-1].phone_number_id == "200000000000001"


# --- STOP ----------------------------------------------------------------------------------------------------------


def test_stop_is_honoured_by_every_later_message_until_start(say, shop, outbox):
    say("JOIN")
    say("YES")
    budget = make_budget(shop)
    reward = make_reward(shop, budget, name="Free chapati")
    with within(shop):
        customer = Customer.objects.get(tenant=shop)
        create_rule(tenant=shop, name="Any buy", conditions={"==": [{"var": "event.type"}, "buy"]}, reward_id=reward.pk)

    (goodbye,) = say("STOP")
    assert "no more" in goodbye and "START" in goodbye
    with within(shop):
        assert ConsentRecord.objects.filter(customer=customer).order_by("-id").first().granted is False

    assert say("BALANCE") == []  # nothing goes out to them
    assert say("JOIN") == []
    with within(shop):  # an event that issues a reward
        answer = ingest_event(
            tenant=shop, actor="job:till", customer=customer.pk, event_type="buy", event_data={}, idempotency_key="k1"
        )
        assert answer.event.issuances.count() == 1
        told = message_customer(
            tenant=shop, customer=customer, body="You won", template="loyalty_reward_issued", parameters=("Duka", "x")
        )
    assert told.status == "refused"
    assert outbox[-1].body == goodbye  # the confirmation was the last message to go
    went = [m for m in outbound(shop) if m.status != "refused"]
    assert went[-1].body == goodbye

    (welcome_back,) = say("START")
    assert "Welcome back" in welcome_back
    (balance,) = say("BALANCE")
    assert "points" in balance


def test_stop_from_someone_not_enrolled_is_honoured_too(say, shop):
    (goodbye,) = say("STOP")
    assert "START" in goodbye
    assert say("HELP") == []
    assert say("START") != []


# --- the 24-hour window --------------------------------------------------------------------------------------------


def test_outside_the_window_only_an_approved_template_goes(shop, outbox, django_capture_on_commit_callbacks):
    customer = make_customer(shop, f"+{WA_ID}")
    with within(shop):
        conversation = WhatsAppConversation.objects.create(
            tenant=shop, wa_id=WA_ID, customer=customer, last_inbound_at=timezone.now() - timedelta(hours=25)
        )
    with django_capture_on_commit_callbacks(execute=True), within(shop):
        text = send_text(tenant=shop, conversation=conversation, body="Hello again")
        unapproved = send_template(tenant=shop, conversation=conversation, template="flash_sale")
        template = send_template(
            tenant=shop, conversation=conversation, template="loyalty_reward_issued", parameters=("Duka", "10% off")
        )
    assert text.status == "refused" and "24-hour" in text.error
    assert unapproved.status == "refused" and "not approved" in unapproved.error
    with within(shop):
        template.refresh_from_db()
    assert template.status == "sandbox" and template.wamid.startswith("wamid.")
    (sent,) = list(outbox)
    assert sent.payload()["template"] == {
        "name": "loyalty_reward_issued",
        "language": {"code": "en"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Duka"}, {"type": "text", "text": "10% off"}]}
        ],
    }


def test_inside_the_window_free_text_goes(shop, outbox, django_capture_on_commit_callbacks):
    customer = make_customer(shop, f"+{WA_ID}")
    with within(shop):
        WhatsAppConversation.objects.create(
            tenant=shop, wa_id=WA_ID, customer=customer, last_inbound_at=timezone.now() - timedelta(hours=23)
        )
    with django_capture_on_commit_callbacks(execute=True), within(shop):
        message = message_customer(
            tenant=shop, customer=customer, body="A reward for you", template="loyalty_reward_issued"
        )
    assert message.kind == "text"
    assert [m.body for m in outbox] == ["A reward for you"]


# --- status updates ------------------------------------------------------------------------------------------------


def test_status_updates_move_a_message_forward_only(say, shop, client, django_capture_on_commit_callbacks):
    say("HELP")
    (message,) = outbound(shop)
    for status in ("delivered", "read", "sent", "delivered"):
        response = post(client, status_delivery(message.wamid, status), capture=django_capture_on_commit_callbacks)
        assert response.status_code == 200
    with within(shop):
        message.refresh_from_db()
    assert message.status == "read"


def test_a_status_for_a_message_not_ours_changes_nothing(client, shop, outbox):
    response = post(client, status_delivery("wamid.unknown", "delivered"))
    assert response.status_code == 200
    assert WebhookDelivery.objects.get(provider="whatsapp").outcome == "unknown_message"


# --- the Cloud API sender ------------------------------------------------------------------------------------------

GRAPH = "https://graph.facebook.com/v21.0"


@respx.mock
def test_cloud_api_sender_posts_the_documented_text_message():
    route = respx.post(f"{GRAPH}/{NUMBER_ID}/messages").mock(
        return_value=httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
                "messages": [{"id": "wamid.HBgLMjU0NzEyMzQ1Njc4FQIAERgSQkJCNzE0"}],
            },
        )
    )
    sender = CloudApiSender(GRAPH, "EAAG-token")
    wamid = sender.send(OutgoingWhatsApp(phone_number_id=NUMBER_ID, to=WA_ID, kind="text", body="Hi"))
    assert wamid == "wamid.HBgLMjU0NzEyMzQ1Njc4FQIAERgSQkJCNzE0"
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer EAAG-token"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "Hi"},
    }


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (400, {"error": {"message": "Re-engagement message", "type": "OAuthException", "code": 131047}}, False),
        (400, {"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429}}, True),
        (401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}, False),
        (503, None, True),
    ],
)
@respx.mock
def test_cloud_api_sender_says_whether_a_refusal_may_pass_later(status, body, retryable):
    respx.post(f"{GRAPH}/{NUMBER_ID}/messages").mock(
        return_value=httpx.Response(status, json=body) if body else httpx.Response(status, text="unavailable")
    )
    with pytest.raises(WhatsAppSendFailed) as failed:
        CloudApiSender(GRAPH, "t").send(OutgoingWhatsApp(phone_number_id=NUMBER_ID, to=WA_ID, kind="text", body="Hi"))
    assert failed.value.retryable is retryable


@respx.mock
def test_cloud_api_sender_times_out_retryably():
    respx.post(f"{GRAPH}/{NUMBER_ID}/messages").mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(WhatsAppSendFailed) as failed:
        CloudApiSender(GRAPH, "t").send(OutgoingWhatsApp(phone_number_id=NUMBER_ID, to=WA_ID, kind="text", body="Hi"))
    assert failed.value.retryable


def test_a_reply_goes_through_the_cloud_api_after_the_commit(
    client, shop, settings, django_capture_on_commit_callbacks
):
    settings.PROVIDERS_SANDBOX = False
    settings.WHATSAPP_GRAPH_URL = GRAPH
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with respx.mock:
            route = respx.post(f"{GRAPH}/{NUMBER_ID}/messages").mock(
                return_value=httpx.Response(
                    200,
                    json={
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
                        "messages": [{"id": "wamid.cloud-1"}],
                    },
                )
            )
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                post(client, text_delivery("HELP"))
            assert not route.called  # nothing on the network inside the webhook's transaction
            for callback in callbacks:
                callback()
            assert route.call_count == 1
    finally:
        celery_app.conf.task_always_eager = eager
    (message,) = outbound(shop)
    assert (message.status, message.wamid) == ("sent", "wamid.cloud-1")


def test_the_send_task_run_twice_sends_once(shop, outbox, django_capture_on_commit_callbacks):
    customer = make_customer(shop, f"+{WA_ID}")
    with within(shop):
        conversation = WhatsAppConversation.objects.create(
            tenant=shop, wa_id=WA_ID, customer=customer, last_inbound_at=timezone.now()
        )
    with django_capture_on_commit_callbacks(execute=True), within(shop):
        message = send_text(tenant=shop, conversation=conversation, body="Once")
    assert whatsapp_sender.deliver_message(tenant_id=str(shop.pk), message_id=message.pk) == "not_queued"
    assert len(outbox) == 1
