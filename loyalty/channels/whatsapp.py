"""The WhatsApp Cloud API channel: Meta's subscription check, signed deliveries, and the conversation a customer
has with a merchant's number.

A delivery (`POST`) goes through core's webhook pipeline: stored raw first, then its `X-Hub-Signature-256`
(`sha256=<hex HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET>`) checked, a missing or wrong one refused
(401, nothing else changed). Each inbound message is acted on once, by its wamid; each status update once per
message and status. The tenant is the one whose `whatsapp_phone_number_id` received the message; a number no
tenant has is stored and answered 200 (so Meta does not retry it), nothing else.

The conversation (one per tenant and WhatsApp user), by the first word of the text:
JOIN (ENROL) asks for consent, YES enrols and records it (source "whatsapp"), NO leaves them out; BALANCE gives
points, tier and open rewards; REWARDS lists the open rewards, numbered; REDEEM <n> gives that reward's code to
show at the till; HELP lists the commands; STOP withdraws WhatsApp consent with one confirmation, after which
nothing goes to them until START. Anything else gets the help. Replies go through `whatsapp_sender`."""

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from core import webhooks
from core.errors import PermissionDeniedError, WebhookRejectedError
from core.models import WebhookDelivery
from loyalty.channels.whatsapp_outbox import STOPPED, send_text
from loyalty.channels.whatsapp_sender import MessageStatus, apply_status
from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import (
    Channel,
    ConsentChannel,
    Customer,
    MessageDirection,
    Tenant,
    WhatsAppConversation,
    WhatsAppMessage,
)
from loyalty.services import self_service
from loyalty.services.consent import consent_state, record_consent
from loyalty.tenancy import all_tenants, tenant_context

logger = logging.getLogger("pamoja.loyalty")

PROVIDER = "whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_CHALLENGE = 256
IGNORED = "ignored"
UNKNOWN_NUMBER = "unknown_number"
PROCESSED = "processed"

WA_ID = re.compile(r"[0-9]{6,20}")
PHONE_NUMBER_ID = re.compile(r"[0-9]{1,32}")
AWAITING_CONSENT = "awaiting_consent"
IDLE = "idle"
MAX_LISTED = 5

COMMANDS = {
    "JOIN": "join",
    "ENROL": "join",
    "ENROLL": "join",
    "REGISTER": "join",
    "BALANCE": "balance",
    "BAL": "balance",
    "POINTS": "balance",
    "REWARDS": "rewards",
    "REWARD": "rewards",
    "REDEEM": "redeem",
    "USE": "redeem",
    "HELP": "help",
    "MENU": "help",
    "STOP": "stop",
    "UNSUBSCRIBE": "stop",
    "START": "start",
    "YES": "yes",
    "Y": "yes",
    "NO": "no",
    "N": "no",
}


class WhatsAppVerificationError(PermissionDeniedError):
    code = "verification_failed"
    message = "The subscription check failed: wrong hub.mode or hub.verify_token."


# --- Meta's side: the subscription check, the signature, the payload ---------------------------------------------


def verify_subscription(*, mode: str | None, token: str | None, challenge: str | None) -> str:
    """The challenge to echo when Meta's subscription check names our verify token; else 403."""
    expected = settings.WHATSAPP_VERIFY_TOKEN.encode()
    if (
        mode != "subscribe"
        or not token
        or not challenge
        or len(challenge) > MAX_CHALLENGE
        or not hmac.compare_digest(token.encode(), expected)
    ):
        raise WhatsAppVerificationError()
    return challenge


def signature_matches(*, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower().encode(), expected.encode())


@dataclass(frozen=True)
class InboundMessage:
    phone_number_id: str
    wamid: str
    wa_id: str
    kind: str
    text: str
    sent_at: datetime | None

    @property
    def event_id(self) -> str:
        return self.wamid


@dataclass(frozen=True)
class StatusUpdate:
    phone_number_id: str
    wamid: str
    status: str
    error: str

    @property
    def event_id(self) -> str:
        return f"status:{self.wamid}:{self.status}"


Delivered = InboundMessage | StatusUpdate
STATUSES = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.FAILED})


def _text(value: object, limit: int = 4096) -> str:
    return value.replace("\x00", "\ufffd")[:limit] if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _sent_at(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _message_text(message: dict[str, object]) -> str:
    """What the customer said: a text's body, a quick-reply button's text, an interactive reply's id."""
    kind = message.get("type")
    if kind == "text":
        return _text(_dict(message.get("text")).get("body"))
    if kind == "button":
        return _text(_dict(message.get("button")).get("text"))
    if kind == "interactive":
        interactive = _dict(message.get("interactive"))
        reply = _dict(interactive.get("button_reply")) or _dict(interactive.get("list_reply"))
        return _text(reply.get("id") or reply.get("title"))
    return ""


def parse_delivery(body: bytes) -> list[Delivered]:
    """The messages and status updates a delivery carries, in its order. Items not shaped as documented (no
    wamid, a sender that is no number) are left out; a body that is no WhatsApp delivery carries nothing."""
    payload = json.loads(body)
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    found: list[Delivered] = []
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            if change.get("field") != "messages" or value.get("messaging_product", "whatsapp") != "whatsapp":
                continue
            number = _text(_dict(value.get("metadata")).get("phone_number_id"), 64)
            if not PHONE_NUMBER_ID.fullmatch(number):
                continue
            for raw in _list(value.get("messages")):
                message = _dict(raw)
                wamid = _text(message.get("id"), 200)
                sender = _text(message.get("from"), 64)
                if not wamid or len(wamid) > 128 or not WA_ID.fullmatch(sender):
                    continue
                found.append(
                    InboundMessage(
                        phone_number_id=number,
                        wamid=wamid,
                        wa_id=sender,
                        kind=_text(message.get("type"), 12) or "unknown",
                        text=_message_text(message),
                        sent_at=_sent_at(message.get("timestamp")),
                    )
                )
            for raw in _list(value.get("statuses")):
                update = _dict(raw)
                wamid = _text(update.get("id"), 200)
                status = _text(update.get("status"), 20)
                if not wamid or len(wamid) > 128 or status not in STATUSES:
                    continue
                errors = [_dict(error) for error in _list(update.get("errors"))]
                reason = "; ".join(f"{_text(e.get('title'), 120)} ({_text(str(e.get('code')), 12)})" for e in errors)
                found.append(StatusUpdate(phone_number_id=number, wamid=wamid, status=status, error=reason))
    return found


# --- the delivery ------------------------------------------------------------------------------------------------


def receive_delivery(*, headers: Mapping[str, str], body: bytes) -> str:
    """Store, check and act on one delivery: "ok" when something in it was for one of our tenants, else "ignored".
    A missing or wrong signature raises `WebhookRejectedError` (401) with nothing but the raw delivery kept.
    Call outside any transaction."""

    def verify(delivery: WebhookDelivery) -> Sequence[Delivered]:
        if not signature_matches(body=body, header=headers.get(SIGNATURE_HEADER)):
            raise webhooks.Stop("signature_invalid", error=WebhookRejectedError())
        try:
            return parse_delivery(body)
        except (ValueError, RecursionError) as exc:
            logger.warning("whatsapp delivery #%s unreadable: %r", delivery.pk, exc)
            raise webhooks.Stop("unreadable", signature_valid=True) from exc

    outcome = webhooks.receive(
        provider=PROVIDER,
        headers=headers,
        body=body,
        verify=verify,
        handle=handle_event,
        kept_headers=(SIGNATURE_HEADER,),
    )
    acted = {PROCESSED, webhooks.DUPLICATE}
    return "ok" if acted & set(outcome.split(",")) else IGNORED


def _tenant_for(phone_number_id: str) -> Tenant | None:
    with all_tenants():
        return Tenant.objects.filter(whatsapp_phone_number_id=phone_number_id).first()


def handle_event(event: Delivered) -> str:
    tenant = _tenant_for(event.phone_number_id)
    if tenant is None:
        return UNKNOWN_NUMBER
    with tenant_context(tenant.pk):
        if not webhooks.claim_event(provider=PROVIDER, event_id=event.event_id):
            return webhooks.DUPLICATE
        if isinstance(event, StatusUpdate):
            known = apply_status(tenant=tenant, wamid=event.wamid, status=event.status, error=event.error)
            return PROCESSED if known else "unknown_message"
        converse(tenant=tenant, message=event)
    return PROCESSED


# --- the conversation --------------------------------------------------------------------------------------------


def _customer_for(tenant: Tenant, wa_id: str) -> Customer | None:
    try:
        return self_service.find_customer(tenant=tenant, phone=f"+{wa_id}")
    except LoyaltyInputError:
        return None


def converse(*, tenant: Tenant, message: InboundMessage) -> WhatsAppConversation:
    """Record the customer's message and answer it. Call inside the tenant's transaction, once per wamid."""
    conversation, _ = WhatsAppConversation.objects.get_or_create(tenant=tenant, wa_id=message.wa_id)
    conversation = WhatsAppConversation.objects.select_for_update().get(pk=conversation.pk)
    WhatsAppMessage.objects.create(
        tenant=tenant,
        conversation=conversation,
        direction=MessageDirection.INBOUND,
        wamid=message.wamid,
        kind=message.kind,
        body=message.text,
        status=MessageStatus.RECEIVED,
    )
    now = timezone.now()
    sent_at = min(message.sent_at or now, now)
    if conversation.last_inbound_at is None or sent_at > conversation.last_inbound_at:
        conversation.last_inbound_at = sent_at
    conversation.customer = _customer_for(tenant, message.wa_id) or conversation.customer
    answer = _answer(tenant=tenant, conversation=conversation, text=message.text)
    for text in answer.replies:
        send_text(tenant=tenant, conversation=conversation, body=text)
    if answer.stop:
        _stop(tenant=tenant, conversation=conversation)
    conversation.save()
    return conversation


def _stop(*, tenant: Tenant, conversation: WhatsAppConversation) -> None:
    """After the confirmation is queued (the last message they get): every later message is refused, by the
    conversation's state and, for a customer, the recorded withdrawal of WhatsApp consent."""
    conversation.state = STOPPED
    if conversation.customer is not None:
        record_consent(
            tenant=tenant,
            customer=conversation.customer,
            channel=ConsentChannel.WHATSAPP,
            granted=False,
            source=PROVIDER,
        )


def _merchant(tenant: Tenant) -> str:
    return tenant.display_name or tenant.name


def _help(tenant: Tenant) -> str:
    return (
        f"{_merchant(tenant)} rewards on WhatsApp. Send:\n"
        "JOIN to join\nBALANCE for your points\nREWARDS for your rewards\n"
        "REDEEM <number> for a reward's code\nSTOP to stop messages, START to hear from us again"
    )


@dataclass(frozen=True)
class Answer:
    replies: list[str]
    stop: bool = False


def _answer(*, tenant: Tenant, conversation: WhatsAppConversation, text: str) -> Answer:
    """The replies to one message (none while stopped), the conversation's state moved on."""
    words = text.strip().split()
    command = COMMANDS.get(words[0].upper().strip(".!?"), "") if words else ""
    customer = conversation.customer
    stopped = conversation.state == STOPPED or (
        customer is not None
        and consent_state(tenant=tenant, customer=customer, channel=ConsentChannel.WHATSAPP) is False
    )
    if stopped and command != "start":
        conversation.state = STOPPED
        return Answer([])
    if conversation.state == AWAITING_CONSENT and command in ("yes", "no"):
        conversation.state = IDLE
        return Answer([_consent_answer(tenant=tenant, conversation=conversation, granted=command == "yes")])
    conversation.state = IDLE
    if command == "stop":
        goodbye = f"You will get no more WhatsApp messages from {_merchant(tenant)}. Send START to hear from us again."
        return Answer([goodbye], stop=True)
    return Answer(_replies(tenant=tenant, conversation=conversation, command=command, words=words))


def _replies(*, tenant: Tenant, conversation: WhatsAppConversation, command: str, words: list[str]) -> list[str]:
    customer = conversation.customer
    if command == "start":
        if customer is not None:
            record_consent(
                tenant=tenant, customer=customer, channel=ConsentChannel.WHATSAPP, granted=True, source=PROVIDER
            )
        return [f"Welcome back to {_merchant(tenant)} rewards. Send HELP for what you can do."]
    if command == "join":
        if customer is not None and consent_state(tenant=tenant, customer=customer, channel=ConsentChannel.WHATSAPP):
            return [f"You are already a member of {_merchant(tenant)} rewards. Send BALANCE for your points."]
        conversation.state = AWAITING_CONSENT
        return [
            f"Join {_merchant(tenant)} rewards? We keep your number and points, and send you your rewards and offers "
            "on WhatsApp. Reply YES to agree and join, or NO."
        ]
    if command in ("balance", "rewards", "redeem"):
        if customer is None:
            return [f"You are not a member of {_merchant(tenant)} rewards yet. Send JOIN to join."]
        if command == "balance":
            return [_balance(tenant=tenant, customer=customer)]
        if command == "rewards":
            return [_rewards(tenant=tenant, conversation=conversation, customer=customer)]
        return [_redeem(tenant=tenant, conversation=conversation, customer=customer, words=words)]
    return [_help(tenant)]


def _consent_answer(*, tenant: Tenant, conversation: WhatsAppConversation, granted: bool) -> str:
    if not granted:
        return f"OK, you have not joined {_merchant(tenant)} rewards. Send JOIN any time."
    try:
        customer, created = self_service.enrol(
            tenant=tenant,
            phone=f"+{conversation.wa_id}",
            channel=Channel.WHATSAPP,
            marketing_consent=True,
            consent_channel=ConsentChannel.WHATSAPP,
        )
    except LoyaltyInputError:
        return "Sorry, this number cannot be enrolled. Ask at the till."
    conversation.customer = customer
    if created:
        return f"Welcome to {_merchant(tenant)} rewards! Send BALANCE for your points, HELP for more."
    return f"Thank you: you will hear from {_merchant(tenant)} rewards here. Send BALANCE for your points."


def _balance(*, tenant: Tenant, customer: Customer) -> str:
    found = self_service.summary(tenant=tenant, customer=customer)
    tier = f"Tier: {found.tier}.\n" if found.tier else ""
    rewards = f"Open rewards: {found.open_rewards}." + (" Send REWARDS to see them." if found.open_rewards else "")
    return f"You have {found.points} points.\n{tier}{rewards}"


def _rewards(*, tenant: Tenant, conversation: WhatsAppConversation, customer: Customer) -> str:
    rewards = self_service.open_rewards(tenant=tenant, customer=customer, limit=MAX_LISTED)
    conversation.context = {"rewards": [issuance.pk for issuance in rewards]}
    if not rewards:
        return "You have no rewards to use yet."
    zone = ZoneInfo(tenant.time_zone)
    lines = []
    for number, issuance in enumerate(rewards, start=1):
        until = f" (until {timezone.localtime(issuance.expires_at, zone):%d %b})" if issuance.expires_at else ""
        lines.append(f"{number}. {issuance.reward.name}{until}")
    return "Your rewards:\n" + "\n".join(lines) + "\nSend REDEEM <number> for its code to show at the till."


def _redeem(*, tenant: Tenant, conversation: WhatsAppConversation, customer: Customer, words: list[str]) -> str:
    listed = conversation.context.get("rewards")
    if not isinstance(listed, list):
        listed = [
            issuance.pk for issuance in self_service.open_rewards(tenant=tenant, customer=customer, limit=MAX_LISTED)
        ]
    number = words[1] if len(words) > 1 else ""
    if not number.isdigit() or not 1 <= int(number) <= len(listed):
        return "Send REDEEM and the number of a reward from REWARDS, e.g. REDEEM 1."
    try:
        issuance = self_service.reward_code(tenant=tenant, customer=customer, issuance_id=int(listed[int(number) - 1]))
    except LoyaltyObjectNotFoundError:
        return "That reward can no longer be used. Send REWARDS to see your rewards."
    return f"{issuance.reward.name}: show this code at the till: {issuance.code}"
