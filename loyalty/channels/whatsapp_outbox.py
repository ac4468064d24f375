"""What may go to a customer on WhatsApp, decided inside the transaction that wants it; what may is queued and
sent after that transaction commits (the task `loyalty.send_whatsapp`), so no webhook or event transaction waits
on Meta.

Every message asks, in order: does the tenant have a WhatsApp number; did the customer send STOP (the
conversation's state) or withdraw consent (`consent.may_message`, channel whatsapp); is free text inside the
24-hour service window (24 hours after the customer's last message); is a template on the approved list. A
refusal is recorded as an outbound message with status `refused` and the reason, and nothing goes out."""

import json
import logging
from datetime import datetime, timedelta

from django.utils import timezone

from core.enqueue import enqueue_on_commit
from loyalty.channels.whatsapp_sender import MessageStatus
from loyalty.models import (
    ConsentChannel,
    Customer,
    MessageDirection,
    Tenant,
    WhatsAppConversation,
    WhatsAppMessage,
)
from loyalty.services.consent import may_message
from loyalty.tasks import send_whatsapp_message

logger = logging.getLogger("pamoja.loyalty")

SERVICE_WINDOW = timedelta(hours=24)
MAX_TEXT = 4096  # the Cloud API's limit on a text body
STOPPED = "stopped"  # the conversation's state after STOP, until START

# Templates approved in Meta's WhatsApp Manager for the platform's number(s): only these may start a conversation
# outside the service window. Each takes its body parameters in this order.
APPROVED_TEMPLATES: dict[str, tuple[str, ...]] = {
    "loyalty_reward_issued": ("merchant", "reward"),
    "loyalty_reward_expiring": ("merchant", "reward", "expires_date"),
    "loyalty_points_update": ("merchant", "points"),
}


def in_service_window(conversation: WhatsAppConversation, *, now: datetime | None = None) -> bool:
    last = conversation.last_inbound_at
    return last is not None and (now or timezone.now()) - last < SERVICE_WINDOW


def _refusal(
    *,
    tenant: Tenant,
    conversation: WhatsAppConversation,
    template: str,
    parameters: tuple[str, ...],
    marketing: bool,
    now: datetime,
) -> str:
    """Why this message may not go ("" when it may)."""
    if not tenant.whatsapp_phone_number_id:
        return "The tenant has no WhatsApp number."
    if conversation.state == STOPPED:
        return "The customer sent STOP."
    customer = conversation.customer
    if customer is not None and not may_message(
        tenant=tenant, customer=customer, channel=ConsentChannel.WHATSAPP, marketing=marketing
    ):
        return "The customer has not consented to WhatsApp messages (or opted out)."
    if not template and not in_service_window(conversation, now=now):
        return "Outside the 24-hour service window: only an approved template may go."
    if template and template not in APPROVED_TEMPLATES:
        return f"The template {template!r} is not approved."
    if template and len(parameters) != len(APPROVED_TEMPLATES[template]):
        return f"The template {template!r} takes {len(APPROVED_TEMPLATES[template])} parameters."
    return ""


def _queue(
    *,
    tenant: Tenant,
    conversation: WhatsAppConversation,
    body: str = "",
    template: str = "",
    parameters: tuple[str, ...] = (),
    marketing: bool = False,
) -> WhatsAppMessage:
    reason = _refusal(
        tenant=tenant,
        conversation=conversation,
        template=template,
        parameters=parameters,
        marketing=marketing,
        now=timezone.now(),
    )
    message = WhatsAppMessage.objects.create(
        tenant=tenant,
        conversation=conversation,
        direction=MessageDirection.OUTBOUND,
        kind="template" if template else "text",
        body=json.dumps(list(parameters)) if template else body,
        template=template,
        status=MessageStatus.REFUSED if reason else MessageStatus.QUEUED,
        error=reason[:255],
    )
    if reason:
        logger.info("WhatsApp message %s to %s refused: %s", message.pk, conversation.wa_id, reason)
    else:
        enqueue_on_commit(send_whatsapp_message, str(tenant.pk), message.pk)
    return message


def send_text(
    *, tenant: Tenant, conversation: WhatsAppConversation, body: str, marketing: bool = False
) -> WhatsAppMessage:
    """Free text to the conversation's customer: only inside the service window. Call inside the tenant's
    transaction; it goes after the commit."""
    return _queue(tenant=tenant, conversation=conversation, body=body[:MAX_TEXT], marketing=marketing)


def send_template(
    *,
    tenant: Tenant,
    conversation: WhatsAppConversation,
    template: str,
    parameters: tuple[str, ...] = (),
    marketing: bool = False,
) -> WhatsAppMessage:
    """An approved template, inside or outside the service window."""
    return _queue(
        tenant=tenant, conversation=conversation, template=template, parameters=parameters, marketing=marketing
    )


def message_customer(
    *,
    tenant: Tenant,
    customer: Customer,
    body: str,
    template: str,
    parameters: tuple[str, ...] = (),
    marketing: bool = False,
) -> WhatsAppMessage:
    """A message the merchant starts (a reward issued, one about to expire): `body` as free text inside the service
    window, else the approved `template`. Call inside the tenant's transaction."""
    conversation, _ = WhatsAppConversation.objects.get_or_create(
        tenant=tenant, wa_id=customer.phone.lstrip("+"), defaults={"customer": customer}
    )
    if conversation.customer_id is None:
        conversation.customer = customer
        conversation.save(update_fields=["customer", "updated_at"])
    if in_service_window(conversation):
        return send_text(tenant=tenant, conversation=conversation, body=body, marketing=marketing)
    return send_template(
        tenant=tenant, conversation=conversation, template=template, parameters=parameters, marketing=marketing
    )
