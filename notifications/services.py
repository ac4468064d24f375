"""The one way every app tells a user something: `notify`. It writes the in-app notification inside the caller's
transaction (a rolled-back payment notifies nobody), and only once that commits are the deliveries made and sent,
in Celery, with retries. `Delivery` rows are the queue's state, so a lost task is found again by `send_due`."""

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Device, User
from config.celery import app as celery_app
from notifications import live, preferences
from notifications.catalog import Channel
from notifications.catalog import event as event_named
from notifications.models import ChannelPreference, Delivery, DeliveryStatus, Notification, QuietHours
from notifications.rendering import language_of, render, render_email
from notifications.selectors import notification_payload
from notifications.senders.base import DeviceUnregistered, OutgoingPush, OutgoingSms, SendFailed
from notifications.senders.registry import push_sender, sms_sender

logger = logging.getLogger("pamoja.notifications")

HIDDEN = "•••"
STALE_CLAIM = timedelta(minutes=10)  # a delivery "sending" this long lost its worker; it is tried again


class NothingToSendTo(Exception):
    """The user has no phone for SMS, or no device for push: the delivery is skipped, not failed."""


# --- writes --------------------------------------------------------------------------------------------------------


def notify(*, user: User, event: str, context: dict[str, Any] | None = None, key: str = "") -> Notification | None:
    """Tell `user` about `event`. `key` names the cause (a penalty's id, a reminder's day): the same cause never
    notifies twice, so a job run twice tells once. A message that cannot be written is logged and the caller's
    money work goes on (only an event missing from the catalog raises: a typo at a call site fails its tests).
    Returns the notification, or None when it was already sent or could not be written."""
    spec = event_named(event)
    values = {name: value for name, value in (context or {}).items() if name not in spec.sealed}
    sealed = {name: value for name, value in (context or {}).items() if name in spec.sealed}
    language = language_of(user.language)
    try:
        shown = render(spec, language=language, context={**values, **dict.fromkeys(sealed, HIDDEN)})
        _check_storable(values, shown.title, shown.body, shown.link)
        notification = Notification(
            user=user,
            event=spec.name,
            category=spec.category,
            type=spec.type,
            priority=spec.priority,
            title=shown.title[:200],
            body=shown.body,
            link=shown.link[:300],
            language=language,
            context=values,
            sealed_context=json.dumps(sealed) if sealed else "",
            shown_in_app=Channel.IN_APP in spec.channels,
            dedupe_key=key[:120],
        )
        _save_apart(notification)
    except IntegrityError:
        return None
    except Exception:
        logger.exception("notification %s for user %s could not be written", event, user.pk)
        return None
    transaction.on_commit(lambda: _after_commit(notification))
    return notification


def _check_storable(context: Any, *texts: str) -> None:
    """What PostgreSQL would refuse in a notification's columns, refused before the insert: a refused insert
    without a savepoint (a notification with no cause takes none) would end the caller's whole transaction.
    Lengths are cut to fit; what JSON cannot carry, and NUL, which neither text nor jsonb can hold, raise here."""
    json.dumps(context)
    if any("\x00" in text for text in texts) or _holds_nul(context):
        raise ValueError("a notification cannot hold a NUL character")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def _save_apart(row: Notification | Delivery) -> None:
    """Save a row with a cause in a savepoint of the caller's transaction: a repeated cause's failed insert then undoes
    only itself. Without one, Django marks the caller's whole transaction for rollback, and its money work would be
    lost. A notification with no cause meets no constraint (its columns are bounded before the insert: the catalog's
    names, truncated text), so it takes none: that saves a transfer two round trips."""
    needs_savepoint = isinstance(row, Delivery) or bool(row.dedupe_key)
    if needs_savepoint and transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            row.save()
    else:
        row.save()


def notify_address(
    *, channel: Channel, address: str, event: str, context: dict[str, Any], language: str, key: str = ""
) -> None:
    """A message to an email address or phone with no account behind it (someone signing up with a taken number,
    a merchant's customer). No in-app notification; one delivery; `key` as for `notify`."""
    spec = event_named(event)
    values = {name: value for name, value in context.items() if name not in spec.sealed}
    sealed = {name: value for name, value in context.items() if name in spec.sealed}
    delivery = Delivery(
        channel=channel,
        event=spec.name,
        address=address,
        language=language_of(language),
        context=values,
        sealed_context=json.dumps(sealed) if sealed else "",
        dedupe_key=key[:120],
        send_after=timezone.now(),
    )
    try:
        _save_apart(delivery)
    except IntegrityError:
        return
    except Exception:
        logger.exception("message %s to an address could not be written", event)
        return
    transaction.on_commit(lambda: _enqueue_send(delivery.pk))


def _after_commit(notification: Notification) -> None:
    if notification.shown_in_app:
        live.publish(
            [notification.user_id], {"kind": "notification", "notification": notification_payload(notification)}
        )
    _enqueue("notifications.dispatch", notification.pk)


def _enqueue(task_name: str, *args: Any, countdown: float | None = None) -> None:
    """Hand work to Celery; if the broker is down, `send_due` (every minute) finds it in the database later."""
    try:
        celery_app.tasks[task_name].apply_async(args=args, countdown=countdown)
    except Exception:
        logger.warning("could not enqueue %s%s; the sweep will pick it up", task_name, args, exc_info=True)


def _enqueue_send(delivery_id: int, countdown: float | None = None) -> None:
    _enqueue("notifications.send_delivery", delivery_id, countdown=countdown)


def dispatch(*, notification_id: int) -> list[int]:
    """Make the notification's deliveries (one per channel the user's preferences allow) and send those that are
    due. Idempotent: run twice, the second finds them made."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=notification_id, dispatched_at__isnull=True)
            .first()
        )
        if notification is None:
            return []
        spec = event_named(notification.event)
        now = timezone.now()
        quiet = preferences.quiet_hours(user_id=notification.user_id)
        made = Delivery.objects.bulk_create(
            Delivery(
                notification=notification,
                channel=channel,
                event=notification.event,
                language=notification.language,
                context=notification.context,
                sealed_context=notification.sealed_context,
                send_after=preferences.send_after(event=spec, channel=channel, quiet=quiet, now=now),
            )
            for channel in preferences.channels_for(user_id=notification.user_id, event=spec)
        )
        notification.dispatched_at = now
        notification.save(update_fields=["dispatched_at"])
        due = [delivery.pk for delivery in made if delivery.send_after <= now]
    for delivery_id in due:
        _enqueue_send(delivery_id)
    return due


def send_delivery(*, delivery_id: int) -> str:
    """Send one delivery if it is due and nobody else holds it. A retryable failure waits and tries again
    (`NOTIFICATION_RETRY_BASE` x 4^(attempt-1) seconds) until `NOTIFICATION_MAX_ATTEMPTS`; then it is failed."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM),
        pk=delivery_id,
        send_after__lte=now,
    ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not_due"
    delivery = Delivery.objects.select_related("notification__user").get(pk=delivery_id)
    changes: dict[str, Any] = {"claimed_at": None}
    try:
        provider, provider_id = _send(delivery)
    except NothingToSendTo as exc:
        changes.update(status=DeliveryStatus.SKIPPED, error=str(exc))
    except SendFailed as exc:
        changes["error"] = str(exc)[:2000]
        if exc.retryable and delivery.attempts < settings.NOTIFICATION_MAX_ATTEMPTS:
            wait = settings.NOTIFICATION_RETRY_BASE * 4 ** (delivery.attempts - 1)
            changes.update(status=DeliveryStatus.PENDING, send_after=now + timedelta(seconds=wait))
            transaction.on_commit(lambda: _enqueue_send(delivery_id, countdown=wait))
        else:
            changes["status"] = DeliveryStatus.FAILED
    else:
        changes.update(
            status=DeliveryStatus.SENT, provider=provider, provider_id=provider_id, sent_at=timezone.now(), error=""
        )
    Delivery.objects.filter(pk=delivery_id).update(**changes)
    return changes["status"]


def _send(delivery: Delivery) -> tuple[str, str]:
    spec = event_named(delivery.event)
    sealed = json.loads(delivery.sealed_context) if delivery.sealed_context else {}
    rendered = render(spec, language=delivery.language, context=delivery.context, sealed=sealed)
    user = delivery.notification.user if delivery.notification else None
    if delivery.channel == Channel.EMAIL:
        to = user.email if user else delivery.address
        subject, text, html = render_email(rendered, language=delivery.language, name=user.first_name if user else "")
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as exc:  # SMTP and API backends raise their own kinds; all are worth another try
            raise SendFailed(f"email: {exc}", retryable=True) from exc
        return "email", ""
    if delivery.channel == Channel.SMS:
        phone = user.phone_number if user else delivery.address
        if not phone:
            raise NothingToSendTo("no phone number")
        sender = sms_sender()
        return sender.name, sender.send(OutgoingSms(to=phone, text=rendered.sms)).provider_id
    if delivery.channel == Channel.PUSH:
        return _push(user, rendered.title, rendered.body, rendered.link, delivery)
    raise NothingToSendTo(f"{delivery.channel} is not sent")


def _push(user: User | None, title: str, body: str, link: str, delivery: Delivery) -> tuple[str, str]:
    """To every device of the user; a token the provider no longer knows is removed. Sent if any device took it."""
    devices = list(Device.objects.filter(user=user)) if user else []
    if not devices:
        raise NothingToSendTo("no device registered for push")
    sender = push_sender()
    data = {"event": delivery.event, "notification": str(delivery.notification_id or "")}
    ids, failures = [], []
    for device in devices:
        try:
            ids.append(sender.send(OutgoingPush(token=device.fcm_token, title=title, body=body, link=link, data=data)))
        except DeviceUnregistered:
            device.delete()
        except SendFailed as exc:
            failures.append(exc)
    if ids:
        return sender.name, ",".join(result.provider_id for result in ids)[:200]
    if failures:
        raise SendFailed(str(failures[0]), retryable=any(exc.retryable for exc in failures))
    raise NothingToSendTo("every device was unregistered")


def resend(*, delivery_id: int) -> bool:
    """Staff's "resend": the delivery goes again now, whatever became of it."""
    updated = (
        Delivery.objects.filter(pk=delivery_id)
        .exclude(status=DeliveryStatus.SENDING)
        .update(status=DeliveryStatus.PENDING, send_after=timezone.now(), error="")
    )
    if updated:
        transaction.on_commit(lambda: _enqueue_send(delivery_id))
    return bool(updated)


def send_due(*, now: datetime | None = None) -> int:
    """The sweep: notifications whose dispatch was never run, and deliveries due (after quiet hours, a backoff, or
    a lost task). Returns how many were handed to Celery."""
    now = now or timezone.now()
    handed = 0
    for notification_id in Notification.objects.filter(
        dispatched_at__isnull=True, created_at__lt=now - timedelta(seconds=30)
    ).values_list("pk", flat=True)[:500]:
        dispatch(notification_id=notification_id)
        handed += 1
    for delivery_id in Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM),
        send_after__lte=now,
    ).values_list("pk", flat=True)[:500]:
        _enqueue_send(delivery_id)
        handed += 1
    return handed


def mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark some of the user's notifications read, or all (`ids` None). Another user's ids are ignored."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def update_preferences(
    *,
    user_id: Any,
    categories: dict[str, dict[str, bool]] | None = None,
    quiet: dict[str, Any] | None = None,
    clear_quiet: bool = False,
) -> None:
    """Change some categories' channels (a category's missing channels keep their current choice) and set or clear
    quiet hours. Security cannot be switched off; the serializer refuses it before this runs."""
    with transaction.atomic():
        current = preferences.channel_choices(user_id=user_id)
        for category, channels in (categories or {}).items():
            merged = {**current[category], **channels}
            ChannelPreference.objects.update_or_create(user_id=user_id, category=category, defaults=merged)
        if clear_quiet:
            QuietHours.objects.filter(user_id=user_id).delete()
        elif quiet is not None:
            QuietHours.objects.update_or_create(user_id=user_id, defaults=quiet)
