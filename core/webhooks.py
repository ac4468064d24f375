"""Inbound webhooks, whichever vendor sends them: the raw delivery is stored first, the app that owns the provider
verifies it, each event is acted on once (by provider and event id), and the outcome is recorded on the delivery.

The owning app passes two callables. `verify(delivery)` checks the signature and returns the events the body
carries, or raises `Stop` to end the delivery there. `handle(event)` acts on an event not processed before and
returns its outcome; it writes `claim_event` in the same transaction as the effect, so an event it leaves
unclaimed (still pending, the provider unreachable) is acted on when it comes again."""

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, TypeVar

from django.db import IntegrityError, transaction

from core.models import ProcessedEvent, WebhookDelivery

# Headers worth keeping with the raw body; the rest (cookies, auth) is not ours to store. An app adds its
# provider's signature headers.
KEPT_HEADERS = frozenset({"content-type", "user-agent", "x-forwarded-for"})
DUPLICATE = "duplicate"


class Event(Protocol):
    @property
    def event_id(self) -> str: ...


EventT = TypeVar("EventT", bound=Event)


class Stop(Exception):
    """Raised by `verify` to end a delivery before any event is handled: `outcome` is recorded, then `error` is
    raised to the caller (a refusal) or, without one, `outcome` is the answer."""

    def __init__(self, outcome: str, *, error: Exception | None = None, signature_valid: bool = False) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.error = error
        self.signature_valid = signature_valid


def receive(
    *,
    provider: str,
    headers: Mapping[str, str],
    body: bytes,
    verify: Callable[[WebhookDelivery], Sequence[EventT]],
    handle: Callable[[EventT], str],
    kept_headers: Collection[str] = (),
) -> str:
    """Store, verify and act on one delivery; the outcomes of its events, comma-separated ("ignored" if none).
    Call it outside any transaction: the delivery must be committed whatever happens next."""
    delivery = record_delivery(provider=provider, headers=headers, body=body, kept_headers=kept_headers)
    try:
        events = verify(delivery)
    except Stop as stop:
        _finish(delivery, stop.outcome, signature_valid=stop.signature_valid)
        if stop.error is not None:
            raise stop.error from stop
        return stop.outcome
    outcomes = [
        DUPLICATE if was_processed(provider=provider, event_id=event.event_id) else handle(event) for event in events
    ]
    outcome = ",".join(outcomes) or "ignored"
    _finish(delivery, outcome, signature_valid=True)
    return outcome


def record_delivery(
    *, provider: str, headers: Mapping[str, str], body: bytes, kept_headers: Collection[str] = ()
) -> WebhookDelivery:
    """Store the webhook as it came, in its own committed transaction, before anything can reject it.

    NUL characters cannot be stored in a PostgreSQL text column: they are kept as U+FFFD, so the record is
    readable and the request can still be answered."""
    kept = KEPT_HEADERS | {name.lower() for name in kept_headers}
    with transaction.atomic(durable=True):
        return WebhookDelivery.objects.create(
            provider=provider,
            headers={k: _printable(v) for k, v in headers.items() if k.lower() in kept},
            body=_printable(body.decode("utf-8", errors="replace")),
        )


def was_processed(*, provider: str, event_id: str) -> bool:
    return ProcessedEvent.objects.filter(provider=provider, event_id=event_id).exists()


def claim_event(*, provider: str, event_id: str, outcome: str = "processed") -> bool:
    """Write the event's row with its effect (call it inside the effect's transaction); a concurrent delivery of
    the same event waits here, then loses (False)."""
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(provider=provider, event_id=event_id, outcome=outcome[:64])
    except IntegrityError:
        return False
    return True


def _printable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _finish(delivery: WebhookDelivery, outcome: str, *, signature_valid: bool) -> None:
    delivery.outcome = outcome[:64]
    delivery.signature_valid = signature_valid
    delivery.save(update_fields=["outcome", "signature_valid"])
