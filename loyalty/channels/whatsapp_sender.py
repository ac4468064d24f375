"""The WhatsApp sender adapter, and the sending of one queued message (the Celery task `loyalty.send_whatsapp`,
after the commit that queued it; what may be queued is `whatsapp_outbox`'s decision).

`CloudApiSender` speaks the Graph API: `POST {WHATSAPP_GRAPH_URL}/{phone_number_id}/messages` with Bearer
WHATSAPP_ACCESS_TOKEN; a text is `{messaging_product: "whatsapp", recipient_type: "individual", to, type: "text",
text: {preview_url, body}}`, a template `{…, type: "template", template: {name, language: {code}, components}}`;
the answer `{messaging_product, contacts: [{input, wa_id}], messages: [{id: "wamid…"}]}`, a refusal
`{"error": {message, type, code, error_subcode, fbtrace_id}}`. `SandboxSender`, the default while
PROVIDERS_SANDBOX is on, sends nothing: the message is recorded with status `sandbox`. Meta's later word on a
message (sent, delivered, read, failed) comes by webhook (`apply_status`).
"""

import json
import logging
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol
from uuid import uuid4

import httpx
from django.conf import settings

from loyalty.models import MessageDirection, Tenant, WhatsAppMessage
from loyalty.tenancy import tenant_context

logger = logging.getLogger("pamoja.loyalty")

TIMEOUT = httpx.Timeout(15.0, connect=5.0)

# Graph API error codes worth trying again later (rate limits, a temporary outage); anything else will not change.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004})


class MessageStatus:
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    SANDBOX = "sandbox"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    REFUSED = "refused"


# How far a message has come: a status update never moves one back (a late "sent" after "read").
PROGRESS = {MessageStatus.SENDING: 0, MessageStatus.SENT: 1, MessageStatus.DELIVERED: 2, MessageStatus.READ: 3}


@dataclass(frozen=True)
class OutgoingWhatsApp:
    phone_number_id: str
    to: str  # the customer's wa_id (digits)
    kind: str  # "text" or "template"
    body: str = ""
    template: str = ""
    language: str = "en"
    parameters: tuple[str, ...] = field(default_factory=tuple)

    def payload(self) -> dict[str, Any]:
        message: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": self.to}
        if self.kind == "template":
            template: dict[str, Any] = {"name": self.template, "language": {"code": self.language}}
            if self.parameters:
                template["components"] = [
                    {"type": "body", "parameters": [{"type": "text", "text": value} for value in self.parameters]}
                ]
            return {**message, "type": "template", "template": template}
        return {**message, "type": "text", "text": {"preview_url": False, "body": self.body}}


class WhatsAppSendFailed(Exception):
    """Meta did not take the message; `retryable` says whether the same message may go later."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WhatsAppSender(Protocol):
    name: str

    def send(self, message: OutgoingWhatsApp) -> str:
        """The message's wamid, or WhatsAppSendFailed."""
        ...


class CloudApiSender:
    name = "cloud_api"

    def __init__(self, graph_url: str, access_token: str, client: httpx.Client | None = None) -> None:
        self.graph_url = graph_url.rstrip("/")
        self.access_token = access_token
        self.client = client or httpx.Client(timeout=TIMEOUT)

    def send(self, message: OutgoingWhatsApp) -> str:
        url = f"{self.graph_url}/{message.phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {self.access_token}", "Content-Type": "application/json"}
        try:
            response = self.client.post(url, json=message.payload(), headers=headers)
        except httpx.TimeoutException as exc:
            raise WhatsAppSendFailed("The WhatsApp Cloud API did not answer in time.", retryable=True) from exc
        except httpx.TransportError as exc:
            raise WhatsAppSendFailed("The WhatsApp Cloud API could not be reached.", retryable=True) from exc
        return read_answer(response)


def read_answer(response: httpx.Response) -> str:
    """A send answer → the wamid, or WhatsAppSendFailed saying whether a retry may help."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        data = {}
    if response.is_success:
        messages = data.get("messages")
        wamid = (
            messages[0].get("id") if isinstance(messages, list) and messages and isinstance(messages[0], dict) else None
        )
        if isinstance(wamid, str) and wamid:
            return wamid[:128]
        raise WhatsAppSendFailed("The WhatsApp Cloud API answered without a message id.", retryable=True)
    error = data.get("error")
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    reason = str(error.get("message") or f"HTTP {response.status_code}")[:180]
    retryable = response.status_code >= 500 or response.status_code == 429 or code in RETRYABLE_CODES
    raise WhatsAppSendFailed(f"WhatsApp refused the message: {reason} (code {code})", retryable=retryable)


# What the sandbox would have sent, oldest first (bounded, for a long-running dev server).
SANDBOX_SENT: deque[OutgoingWhatsApp] = deque(maxlen=500)


class SandboxSender:
    """Sends nothing: logs the message and keeps it in SANDBOX_SENT; the message is recorded as `sandbox`."""

    name = "sandbox"

    def send(self, message: OutgoingWhatsApp) -> str:
        SANDBOX_SENT.append(message)
        logger.info("Sandbox WhatsApp to %s: %s", message.to, message.template or message.body)
        return f"wamid.sandbox-{uuid4().hex}"


@cache
def _cloud_api_sender(graph_url: str, access_token: str) -> CloudApiSender:
    return CloudApiSender(graph_url, access_token)


def whatsapp_sender() -> WhatsAppSender:
    if settings.PROVIDERS_SANDBOX:
        return SandboxSender()
    return _cloud_api_sender(settings.WHATSAPP_GRAPH_URL, settings.WHATSAPP_ACCESS_TOKEN)


# --- sending (the task) -------------------------------------------------------------------------------------------


def _template_parameters(message: WhatsAppMessage) -> tuple[str, ...]:
    """A template message keeps its parameters as a JSON array in `body`."""
    if not message.template:
        return ()
    try:
        found = json.loads(message.body or "[]")
    except ValueError:
        return ()
    return tuple(str(value) for value in found) if isinstance(found, list) else ()


def deliver_message(*, tenant_id: str, message_id: int) -> str:
    """Send one queued message, outside any transaction: claimed (queued → sending) first, so a second run of the
    task sends nothing; the answer recorded after. Returns the message's new status."""
    with tenant_context(tenant_id):
        claimed = WhatsAppMessage.objects.filter(
            pk=message_id, direction=MessageDirection.OUTBOUND, status=MessageStatus.QUEUED
        ).update(status=MessageStatus.SENDING)
        if not claimed:
            return "not_queued"
        message = WhatsAppMessage.objects.select_related("conversation", "conversation__customer", "tenant").get(
            pk=message_id
        )
        customer = message.conversation.customer
        outgoing = OutgoingWhatsApp(
            phone_number_id=message.tenant.whatsapp_phone_number_id or "",
            to=message.conversation.wa_id,
            kind=message.kind,
            body=message.body,
            template=message.template,
            language=customer.language if customer is not None else "en",
            parameters=_template_parameters(message),
        )
    sender = whatsapp_sender()
    changes: dict[str, Any]
    try:
        wamid = sender.send(outgoing)
    except WhatsAppSendFailed as exc:
        logger.warning("WhatsApp message %s not sent: %s", message_id, exc)
        note = " (may succeed later)" if exc.retryable else ""
        changes = {"status": MessageStatus.FAILED, "error": f"{exc}{note}"[:255]}
    else:
        status = MessageStatus.SANDBOX if sender.name == "sandbox" else MessageStatus.SENT
        changes = {"status": status, "wamid": wamid, "error": ""}
    with tenant_context(tenant_id):
        WhatsAppMessage.objects.filter(pk=message_id, status=MessageStatus.SENDING).update(**changes)
    return str(changes["status"])


def apply_status(*, tenant: Tenant, wamid: str, status: str, error: str = "") -> bool:
    """Meta's word on a message we sent (sent, delivered, read, failed); never moves one back. False when no
    message of ours has this id. Call inside the tenant's transaction."""
    message = (
        WhatsAppMessage.objects.select_for_update()
        .filter(tenant=tenant, wamid=wamid, direction=MessageDirection.OUTBOUND)
        .first()
    )
    if message is None:
        return False
    if status == MessageStatus.FAILED:
        if message.status != MessageStatus.READ:
            message.status = MessageStatus.FAILED
            message.error = error[:255]
            message.save(update_fields=["status", "error"])
        return True
    if PROGRESS.get(status, -1) > PROGRESS.get(message.status, -1):
        message.status = status
        message.save(update_fields=["status"])
    return True
