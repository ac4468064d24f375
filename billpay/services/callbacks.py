"""The bill provider's transaction-update callback, through core's webhook pipeline.

VTPass signs nothing, so a callback is a hint and nothing more: its URL carries a secret (`VTPASS_CALLBACK_TOKEN`;
a wrong one is refused, nothing changed but the delivery's record), every delivery is stored, and the order it
names is requeried with the provider (`check_order`) before anything moves. The requery's answer is applied with
the order's own once-only guarantees, so a replayed or forged body can at most cause a requery. An update is
marked processed once the order has left `pending`; one that finds it still pending is acted on again if it comes
again.
"""

import hmac
from collections.abc import Mapping

from django.conf import settings

from billpay.errors import BillInputError
from billpay.models import BillOrder, OrderStatus
from billpay.providers import registry
from billpay.providers.base import BillCallback, BillProvider
from billpay.services.orders import check_order
from core import webhooks
from core.errors import WebhookRejectedError
from core.models import WebhookDelivery


def receive_bill_callback(
    *, token: str, headers: Mapping[str, str], body: bytes, provider: BillProvider | None = None
) -> str:
    """Store, check and act on one callback; the outcome ("delivered", "duplicate", "unknown_order", ...).
    Raises WebhookRejectedError (401) for a wrong URL secret and BillInputError (400) for a body that is not the
    provider's JSON. Call it outside any transaction."""
    provider = provider or registry.get_bill_provider()

    def verify(delivery: WebhookDelivery) -> list[BillCallback]:
        expected = settings.VTPASS_CALLBACK_TOKEN
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            raise webhooks.Stop("unknown_callback_token", error=WebhookRejectedError())
        try:
            return provider.parse_callback(body)
        except ValueError as exc:
            error = BillInputError(str(exc), details={"body": [str(exc)]})
            raise webhooks.Stop("unreadable", error=error, signature_valid=True) from exc

    def handle(update: BillCallback) -> str:
        order = BillOrder.objects.filter(request_id=update.request_id).only("pk").first()
        if order is None:
            return "unknown_order"
        outcome = check_order(order_id=order.pk, provider=provider)
        if BillOrder.objects.filter(pk=order.pk).exclude(status=OrderStatus.PENDING).exists():
            webhooks.claim_event(provider=provider.name, event_id=update.event_id, outcome=outcome)
        return outcome

    return webhooks.receive(provider=provider.name, headers=headers, body=body, verify=verify, handle=handle)
