"""Merchants' outbound webhooks, signed per Standard Webhooks v1 (`reference/loyalty.md` §5).

- A tenant registers endpoints (an http(s) URL and the event types it wants). Each gets a secret `whsec_<base64>`
  shown once; a rotation keeps the old one for a day and signs with both meanwhile.
- `publish` records what happened once (a `WebhookMessage`, whose `msg_id` is the `webhook-id` every endpoint and
  every retry sees) and one `EndpointDelivery` per subscribed endpoint, in the caller's transaction; the first
  attempt is queued only once that transaction commits, so a rolled-back effect is never announced.
- `deliver` makes one attempt: it claims the delivery under a short row lock (so two workers never both send),
  speaks HTTP with no transaction open, then records the answer. Only 2xx succeeds; 410 kills the delivery and
  disables the endpoint; anything else is retried on `SCHEDULE` with jitter (never sooner than a `retry-after`),
  and the delivery is dead after the last attempt. `deliver_due`, every minute, queues what is due, so a lost
  task or a crashed worker only delays a delivery.
- SSRF: an endpoint must name a host by DNS name over http(s) and resolve to public addresses only; the host is
  resolved again at each attempt and the request goes to the address just checked (DNS rebinding), with the
  original Host and TLS server name. Only `LOYALTY_WEBHOOKS_ALLOW_PRIVATE` (sandbox mode) lifts this.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import re
import secrets
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.enqueue import enqueue, enqueue_on_commit
from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError, LoyaltyStateError
from loyalty.models import (
    Customer,
    DeliveryAttempt,
    DeliveryState,
    EndpointDelivery,
    Issuance,
    Tenant,
    WebhookEndpoint,
    WebhookEventType,
    WebhookMessage,
)
from loyalty.tenancy import all_tenants, tenant_context

logger = logging.getLogger("pamoja.loyalty.webhooks")

# After attempt n fails, attempt n + 1 comes SCHEDULE[n] later (± JITTER); after the last, the delivery is dead.
SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
JITTER = 0.15
MAX_RETRY_AFTER = timedelta(hours=24)  # a longer retry-after is taken as this
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 20
MAX_PAYLOAD_BYTES = 20_000
DUE_BATCH = 1000
SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix Standard Webhooks gives every secret)
SECRET_BYTES = 32
USER_AGENT = "Pamoja-Webhooks/1.0"
DELIVER_TASK = "loyalty.deliver_webhook"
REDELIVER = "redeliver"
SCHEDULED = "schedule"

_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
# What an endpoint URL looks like: http(s), a DNS name (no address literal, no credentials), an optional port, then
# printable ASCII. The API's schema states the same pattern.
URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    rf"(:{_PORT})?([/?#][!-~]*)?$"
)
_URL = re.compile(URL_PATTERN)


class UnsafeUrlError(Exception):
    """The endpoint's host is not somewhere we may send to (it resolves to a non-public address), or cannot be
    resolved now."""


# --- addresses -----------------------------------------------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to the same host (mapped, 6to4, Teredo, NAT64's well-known prefix)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(text: str) -> bool:
    """Whether an address is a public unicast one: not loopback, private, shared, link-local, multicast, reserved or
    unspecified, in IPv4 or IPv6, nor an IPv6 address carrying such an IPv4 one."""
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner = _embedded_ipv4(address)
        if inner is not None:
            address = inner
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now; `UnsafeUrlError` when it resolves to none."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise UnsafeUrlError(f"The host {host} does not resolve.") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise UnsafeUrlError(f"The host {host} does not resolve.")
    return addresses


def _public_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, all public; `UnsafeUrlError` if any is not (one private answer is enough
    for a rebinding attacker to pick)."""
    addresses = _resolve(host, port)
    refused = [address for address in addresses if not is_public_address(address)]
    if refused:
        raise UnsafeUrlError(f"The host {host} resolves to a non-public address ({refused[0]}).")
    return addresses


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _shape_refused(url: object) -> LoyaltyInputError | None:
    """Why the URL's shape is refused, or None. In sandbox mode any http(s) URL with a host will do (a receiver on
    this machine); otherwise `URL_PATTERN`."""
    if not isinstance(url, str) or len(url) > 500:
        return LoyaltyInputError(details={"url": ["An http(s) URL of at most 500 characters."]})
    if settings.LOYALTY_WEBHOOKS_ALLOW_PRIVATE:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (a port out of range raises here)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme.lower() in ("http", "https") and parts.hostname:
            return None
    elif _URL.match(url):
        return None
    return LoyaltyInputError(
        "An endpoint is an http(s) URL with a DNS host name.",
        details={"url": ["An http:// or https:// URL naming a host by its DNS name (no address, no credentials)."]},
    )


def check_url(url: str) -> str:
    """The URL as stored, or `LoyaltyInputError` naming `url`: not http(s) with a DNS name, or a host that resolves
    to a non-public address. A host that does not resolve yet is accepted (each attempt resolves it again)."""
    refused = _shape_refused(url)
    if refused is not None:
        raise refused
    if settings.LOYALTY_WEBHOOKS_ALLOW_PRIVATE:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = _resolve(host, parts.port or _default_port(parts.scheme.lower()))
    except UnsafeUrlError:
        return url
    refused_addresses = [address for address in addresses if not is_public_address(address)]
    if refused_addresses:
        why = f"The host {host} resolves to a non-public address ({refused_addresses[0]})."
        raise LoyaltyInputError(why, details={"url": [why]})
    return url


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the URL to connect to and what makes the request still name the endpoint's host."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


def _target(url: str) -> Target:
    """The request for `url`, pinned to an address just checked (or as it is, in sandbox mode)."""
    if settings.LOYALTY_WEBHOOKS_ALLOW_PRIVATE:
        return Target(url=url, headers={}, extensions={})
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or _default_port(scheme)
    address = _public_addresses(host, port)[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    return Target(
        url=urlunsplit((scheme, netloc, parts.path, parts.query, "")),
        headers={"Host": parts.netloc},
        extensions=extensions,
    )


# --- secrets and signatures ----------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256>` of `msg_id.timestamp.body`, keyed with the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, and the previous one while a rotation's overlap lasts."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        found.append(endpoint.previous_secret)
    return found


def signed_headers(*, secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in secrets_
        ),
    }


def message_body(message: WebhookMessage) -> bytes:
    return json.dumps(message.payload, separators=(",", ":"), sort_keys=True).encode()


# --- endpoints -----------------------------------------------------------------------------------------------------


def endpoints_of(*, tenant: Tenant) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(tenant=tenant).order_by("created_at", "pk")


def endpoint_of(*, tenant: Tenant, endpoint_id: int, lock: bool = False) -> WebhookEndpoint:
    """The tenant's endpoint, or not found (another tenant's is not found either)."""
    found = WebhookEndpoint.objects.filter(tenant=tenant, pk=endpoint_id)
    if lock:
        found = found.select_for_update()
    endpoint = found.first()
    if endpoint is None:
        raise LoyaltyObjectNotFoundError("No such webhook endpoint.")
    return endpoint


def _event_types(events: list[str]) -> list[str]:
    unknown = [event for event in events if event not in WebhookEventType.values]
    if not events or unknown:
        raise LoyaltyInputError(details={"events": [f"One or more of: {', '.join(WebhookEventType.values)}."]})
    return list(dict.fromkeys(events))


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown once: when made and when rotated


def create_endpoint(*, tenant: Tenant, url: str, events: list[str], description: str = "") -> EndpointWithSecret:
    """A new endpoint and its secret (shown this once). At most `MAX_ENDPOINTS` per tenant."""
    url = check_url(url)
    wanted = _event_types(events)
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # counts of concurrent creations
        if WebhookEndpoint.objects.filter(tenant=tenant).count() >= MAX_ENDPOINTS:
            raise LoyaltyStateError(f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints; delete one first.")
        secret = new_secret()
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url=url, events=wanted, description=description.strip(), secret=secret
        )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def update_endpoint(
    *,
    tenant: Tenant,
    endpoint_id: int,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what an endpoint is; switching it back on clears why it was switched off."""
    if url is not None:
        url = check_url(url)
    wanted = _event_types(events) if events is not None else None
    with transaction.atomic():
        endpoint = endpoint_of(tenant=tenant, endpoint_id=endpoint_id, lock=True)
        if url is not None:
            endpoint.url = url
        if wanted is not None:
            endpoint.events = wanted
        if description is not None:
            endpoint.description = description.strip()
        if active is not None:
            endpoint.active = active
            endpoint.disabled_reason = "" if active else "switched off by staff"
        endpoint.save()
    return endpoint


def delete_endpoint(*, tenant: Tenant, endpoint_id: int) -> None:
    """The endpoint goes, with its deliveries and their log."""
    with transaction.atomic():
        endpoint_of(tenant=tenant, endpoint_id=endpoint_id, lock=True).delete()


def rotate_secret(*, tenant: Tenant, endpoint_id: int, now: datetime | None = None) -> EndpointWithSecret:
    """A new secret (shown this once); the old one still signs for `ROTATION_OVERLAP`, so the merchant can switch
    their verifier without losing a delivery."""
    at = now or timezone.now()
    with transaction.atomic():
        endpoint = endpoint_of(tenant=tenant, endpoint_id=endpoint_id, lock=True)
        secret = new_secret()
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = at + ROTATION_OVERLAP
        endpoint.secret = secret
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


# --- publishing ----------------------------------------------------------------------------------------------------


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def publish(*, tenant: Tenant, event_type: str, payload: Mapping[str, Any]) -> WebhookMessage | None:
    """Announce `event_type` to the tenant's active endpoints that want it, in the caller's transaction; the first
    attempts are queued after it commits. None (and nothing written) when no endpoint wants it."""
    if event_type not in WebhookEventType.values:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(tenant=tenant, active=True)
        .order_by("pk")
        .values_list("pk", "events")
        if isinstance(events, list) and event_type in events
    ]
    if not endpoints:
        return None
    now = timezone.now()
    envelope = {"type": event_type, "timestamp": now.isoformat(), "data": dict(payload)}
    if len(json.dumps(envelope)) >= MAX_PAYLOAD_BYTES:
        raise ValueError(f"a {event_type} payload must stay under {MAX_PAYLOAD_BYTES} bytes")
    with transaction.atomic():
        message = WebhookMessage.objects.create(
            tenant=tenant, msg_id=new_msg_id(), event_type=event_type, payload=envelope
        )
        deliveries = EndpointDelivery.objects.bulk_create(
            EndpointDelivery(tenant=tenant, endpoint_id=pk, message=message, next_attempt_at=now) for pk in endpoints
        )
    for delivery in deliveries:
        enqueue_on_commit(deliver_webhook, str(tenant.pk), delivery.pk, SCHEDULED)
    return message


# --- delivering ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One attempt, taken: what to send, and the number that says the attempt is still ours when we record it."""

    delivery_id: int
    endpoint_id: int
    number: int
    url: str
    msg_id: str
    body: bytes
    secrets: list[str]


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    duration_ms: int
    error: str = ""
    retry_after: timedelta | None = None


def _lease() -> timedelta:
    """How long a claimed attempt is ours: past it, the sweeper may try again (the worker died mid-call)."""
    return timedelta(seconds=float(settings.LOYALTY_WEBHOOK_TIMEOUT) * 2 + 60)


def _claim(*, tenant_id: str, delivery_id: int, now: datetime) -> Claim | None:
    """Take the delivery's next attempt if it is due and still pending; None if not (sent, dead, not due, or
    another worker has it). The attempt is counted and the delivery leased before any byte is sent."""
    with tenant_context(tenant_id):
        delivery = (
            EndpointDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "message")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return None
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        endpoint = delivery.endpoint
        if not endpoint.active:
            delivery.state = DeliveryState.DEAD
            delivery.next_attempt_at = None
            delivery.last_error = f"endpoint disabled: {endpoint.disabled_reason}"[:255]
            delivery.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
        return Claim(
            delivery_id=delivery.pk,
            endpoint_id=endpoint.pk,
            number=delivery.attempts,
            url=endpoint.url,
            msg_id=delivery.message.msg_id,
            body=message_body(delivery.message),
            secrets=signing_secrets(endpoint, now=now),
        )


@cache
def _client() -> httpx.Client:
    """One pooled client per process (created after a worker forks): never follows redirects."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT})


def _retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A `retry-after` of seconds or an HTTP date, as a wait (capped at `MAX_RETRY_AFTER`)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value[:9]))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def _send(claim: Claim, *, now: datetime) -> Answer:
    """POST the signed message (no transaction open, no body read back). Never raises for the endpoint's sake."""
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        **signed_headers(secrets_=claim.secrets, msg_id=claim.msg_id, timestamp=timestamp, body=claim.body),
    }
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        target = _target(claim.url)
        with _client().stream(
            "POST",
            target.url,
            content=claim.body,
            headers={**headers, **target.headers},
            extensions=target.extensions,
            timeout=float(settings.LOYALTY_WEBHOOK_TIMEOUT),
        ) as response:
            wait = (
                _retry_after(response.headers.get("retry-after"), now=now)
                if response.status_code in (429, 503)
                else None
            )
            return Answer(status_code=response.status_code, duration_ms=took(), retry_after=wait)
    except UnsafeUrlError as exc:
        return Answer(status_code=None, duration_ms=took(), error=f"refused: {exc}"[:255])
    except httpx.TimeoutException:
        return Answer(status_code=None, duration_ms=took(), error="timeout")
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return Answer(status_code=None, duration_ms=took(), error=f"{type(exc).__name__}: {exc}"[:255])


def _next_attempt(*, attempts: int, now: datetime, answer: Answer) -> datetime | None:
    """When attempt `attempts + 1` is due, or None when the schedule is spent."""
    if attempts >= len(SCHEDULE):
        return None
    delay = SCHEDULE[attempts] * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 (spreading, not secrecy)
    if answer.retry_after is not None:
        delay = max(delay, answer.retry_after)
    return now + delay


def _record(*, tenant_id: str, claim: Claim, answer: Answer, trigger: str) -> EndpointDelivery | None:
    """Log the attempt, and move the delivery on if the attempt is still its latest (a lease that ran out may
    have let another worker try since)."""
    now = timezone.now()
    with tenant_context(tenant_id):
        delivery = (
            EndpointDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=claim.delivery_id)
            .first()
        )
        if delivery is None:  # the endpoint was deleted meanwhile
            return None
        DeliveryAttempt.objects.create(
            tenant_id=tenant_id,
            delivery=delivery,
            number=claim.number,
            status_code=answer.status_code,
            duration_ms=answer.duration_ms,
            error=answer.error,
            trigger=trigger,
        )
        if delivery.attempts != claim.number or delivery.state != DeliveryState.PENDING:
            return delivery
        delivery.last_status_code = answer.status_code
        delivery.last_duration_ms = answer.duration_ms
        delivery.last_error = answer.error
        code = answer.status_code
        if code is not None and 200 <= code < 300:
            delivery.state = DeliveryState.SUCCEEDED
            delivery.succeeded_at = now
            delivery.next_attempt_at = None
        elif code == 410:
            delivery.state = DeliveryState.DEAD
            delivery.next_attempt_at = None
            _disable_gone(delivery.endpoint, now=now)
        else:
            delivery.next_attempt_at = _next_attempt(attempts=delivery.attempts, now=now, answer=answer)
            if delivery.next_attempt_at is None:
                delivery.state = DeliveryState.DEAD
        delivery.save()
        return delivery


def _disable_gone(endpoint: WebhookEndpoint, *, now: datetime) -> None:
    """The endpoint answered 410 Gone: it is switched off, and nothing more is sent to it."""
    reason = f"answered 410 Gone at {now.isoformat(timespec='seconds')}"
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False, disabled_reason=reason, updated_at=now)
    EndpointDelivery.objects.filter(endpoint=endpoint, state=DeliveryState.PENDING).update(
        state=DeliveryState.DEAD, next_attempt_at=None, last_error="endpoint disabled: 410 Gone", updated_at=now
    )


def deliver(*, tenant_id: str, delivery_id: int, trigger: str = SCHEDULED) -> EndpointDelivery | None:
    """One attempt at a delivery, if it is due; the delivery as it stands after, None if nothing was attempted."""
    now = timezone.now()
    claim = _claim(tenant_id=tenant_id, delivery_id=delivery_id, now=now)
    if claim is None:
        return None
    answer = _send(claim, now=now)
    return _record(tenant_id=tenant_id, claim=claim, answer=answer, trigger=trigger)


@shared_task(name=DELIVER_TASK)
def deliver_webhook(tenant_id: str, delivery_id: int, trigger: str = SCHEDULED) -> str:
    """Safe to run twice: an attempt that is not due, or that another worker took, is not made. (Defined beside
    `publish`, which queues it; `loyalty.tasks` names it for the worker.)"""
    done = deliver(tenant_id=tenant_id, delivery_id=delivery_id, trigger=trigger)
    return done.state if done is not None else "skipped"


def redeliver(*, tenant: Tenant, delivery: EndpointDelivery) -> EndpointDelivery:
    """A fresh attempt now, whatever the delivery's state (a dead one too), queued after the caller's transaction
    commits. A disabled endpoint must be switched back on first."""
    with transaction.atomic():
        locked = (
            EndpointDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "message")
            .get(tenant=tenant, pk=delivery.pk)
        )
        if not locked.endpoint.active:
            raise LoyaltyStateError(
                "The endpoint is switched off; switch it back on before redelivering.",
                details={"endpoint": locked.endpoint_id, "disabled_reason": locked.endpoint.disabled_reason},
            )
        locked.state = DeliveryState.PENDING
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["state", "next_attempt_at", "updated_at"])
    enqueue_on_commit(deliver_webhook, str(tenant.pk), locked.pk, REDELIVER)
    return locked


def deliver_due(*, now: datetime | None = None, limit: int = DUE_BATCH) -> int:
    """Queue an attempt for every delivery, in every tenant, whose time has come; returns how many were queued.
    Each attempt claims its delivery, so one queued twice is made once."""
    at = now or timezone.now()
    with all_tenants():
        due = list(
            EndpointDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=at)
            .order_by("next_attempt_at", "pk")
            .values_list("tenant_id", "pk")[:limit]
        )
    queued = 0
    for tenant_id, delivery_id in due:
        try:
            queued += enqueue(deliver_webhook, str(tenant_id), delivery_id, SCHEDULED)
        except Exception:
            logger.exception("webhook delivery %s failed; the others go on", delivery_id)
    return queued


# --- the log -------------------------------------------------------------------------------------------------------


def deliveries_of(*, tenant: Tenant, endpoint: WebhookEndpoint, state: str | None = None) -> QuerySet[EndpointDelivery]:
    found = EndpointDelivery.objects.filter(tenant=tenant, endpoint=endpoint)
    if state:
        found = found.filter(state=state)
    return (
        found.select_related("message")
        .prefetch_related(Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("number", "pk")))
        .order_by("-created_at", "-pk")
    )


def delivery_of(*, tenant: Tenant, endpoint: WebhookEndpoint, delivery_id: int) -> EndpointDelivery:
    found = EndpointDelivery.objects.filter(tenant=tenant, endpoint=endpoint, pk=delivery_id).first()
    if found is None:
        raise LoyaltyObjectNotFoundError("No such delivery.")
    return found


# --- what the services announce --------------------------------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def customer_payload(customer: Customer) -> dict[str, Any]:
    """A customer as merchants' servers see them: ids and status, no personal data beyond the phone they gave."""
    return {
        "customer_id": customer.pk,
        "external_ref": customer.external_ref,
        "phone": customer.phone,
        "channel": customer.channel,
        "status": customer.status,
        "enrolled_at": _moment(customer.created_at),
    }


def issuance_payload(issuance: Issuance) -> dict[str, Any]:
    """An issuance without its code: a merchant's server never needs the customer's one-time code."""
    reward = issuance.reward
    return {
        "issuance_id": issuance.pk,
        "customer_id": issuance.customer_id,
        "reward_id": reward.pk,
        "reward_name": reward.name,
        "reward_type": reward.reward_type,
        "value": str(reward.value),
        "cost": str(issuance.cost),
        "currency": reward.budget.currency,
        "state": issuance.state,
        "rule_id": issuance.rule_id,
        "event_id": issuance.event_id,
        "expires_at": _moment(issuance.expires_at),
    }
