"""notify → the in-app row in the caller's transaction → after commit, deliveries per preferences → sent through
the channel's sender with retries. The sandbox senders stand in for Africa's Talking and FCM."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Device
from notifications import services
from notifications.catalog import EVENTS, Category, Channel
from notifications.models import ChannelPreference, Delivery, DeliveryStatus, Notification, QuietHours
from notifications.senders.base import OutgoingSms
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAIROBI = ZoneInfo("Africa/Nairobi")


def example(name):
    return dict(EVENTS[name].example)


def deliveries(notification):
    return {d.channel: d for d in Delivery.objects.filter(notification=notification)}


def test_the_notification_is_written_with_the_work_and_rolled_back_with_it():
    user = UserFactory()

    def transfer_that_fails():
        with transaction.atomic():
            services.notify(user=user, event="transfer_received", context=example("transfer_received"))
            raise RuntimeError("the transfer failed")

    with pytest.raises(RuntimeError):
        transfer_that_fails()
    assert not Notification.objects.exists()
    services.notify(user=user, event="transfer_received", context=example("transfer_received"))
    assert Notification.objects.get().title == "You received KES 1,000.00"


def test_the_same_cause_notifies_once():
    user = UserFactory()
    first = services.notify(user=user, event="payout_paid", context=example("payout_paid"), key="payout:7")
    again = services.notify(user=user, event="payout_paid", context=example("payout_paid"), key="payout:7")
    assert first is not None and again is None
    assert Notification.objects.count() == 1


def test_a_broken_message_never_breaks_the_callers_work():
    user = UserFactory()
    with transaction.atomic():
        assert services.notify(user=user, event="payout_paid", context={"group_id": "{missing"}) is not None
        assert services.notify(user=user, event="payout_paid", context={"group": object()}) is None
    assert Notification.objects.count() == 1


@pytest.mark.parametrize(
    "context",
    [{"sender": "Eve\x00"}, {"amount": "KES 1.00", "nested": {"a\x00": 1}}, {"nested": ["ok", ["\x00"]]}],
    ids=["in-a-value", "in-a-key", "deep-in-a-list"],
)
def test_a_message_postgresql_would_refuse_is_dropped_before_the_insert(context):
    """A notification with no cause is written without a savepoint: a NUL (which PostgreSQL's text and jsonb refuse)
    must be caught before the insert, or the caller's money work would be lost with it."""
    user = UserFactory()
    with transaction.atomic():
        assert services.notify(user=user, event="transfer_received", context=context) is None
        later = services.notify(user=user, event="transfer_received", context={"amount": "KES 1.00", "sender": "A"})
        assert later is not None
    assert list(Notification.objects.values_list("pk", flat=True)) == [later.pk]


def test_deliveries_follow_the_defaults_and_the_users_choices():
    user = UserFactory()
    loud = services.notify(user=user, event="deposit_credited", context=example("deposit_credited"))
    chatty = services.notify(user=user, event="meeting_scheduled", context=example("meeting_scheduled"))
    services.dispatch(notification_id=loud.pk)
    services.dispatch(notification_id=chatty.pk)
    ChannelPreference.objects.create(user=user, category=Category.WALLET, push=True, sms=False, email=False)
    quiet = services.notify(user=user, event="withdrawal_sent", context=example("withdrawal_sent"))
    services.dispatch(notification_id=quiet.pk)
    assert set(deliveries(loud)) == {"push", "sms", "email"}
    assert set(deliveries(chatty)) == {"push", "email"}  # no SMS for groups by default
    assert set(deliveries(quiet)) == {"push"}


def test_security_messages_ignore_preferences():
    user = UserFactory()
    ChannelPreference.objects.create(user=user, category=Category.SECURITY, push=False, sms=False, email=False)
    notification = services.notify(user=user, event="pin_changed", context={})
    services.dispatch(notification_id=notification.pk)
    assert set(deliveries(notification)) == {"push", "sms", "email"}


def test_dispatch_twice_makes_the_deliveries_once():
    user = UserFactory()
    notification = services.notify(user=user, event="deposit_credited", context=example("deposit_credited"))
    services.dispatch(notification_id=notification.pk)
    assert services.dispatch(notification_id=notification.pk) == []
    assert Delivery.objects.count() == 3


@time_machine.travel(datetime(2026, 12, 1, 23, 30, tzinfo=NAIROBI), tick=False)
def test_quiet_hours_hold_push_and_sms_until_they_end_but_not_security_or_email():
    user = UserFactory()
    QuietHours.objects.create(user=user, starts=time(22, 0), ends=time(6, 30), time_zone="Africa/Nairobi")
    news = services.notify(user=user, event="deposit_credited", context=example("deposit_credited"))
    alarm = services.notify(user=user, event="password_changed", context={})
    services.dispatch(notification_id=news.pk)
    services.dispatch(notification_id=alarm.pk)
    morning = datetime(2026, 12, 2, 6, 30, tzinfo=NAIROBI)
    held = deliveries(news)
    assert held["push"].send_after == morning and held["sms"].send_after == morning
    assert held["email"].send_after < morning
    assert all(d.send_after < morning for d in deliveries(alarm).values())
    assert services.send_delivery(delivery_id=held["sms"].pk) == "not_due"
    with time_machine.travel(morning + timedelta(minutes=1), tick=False):
        assert services.send_delivery(delivery_id=held["sms"].pk) == DeliveryStatus.SENT


def test_quiet_hours_within_one_day():
    from notifications.preferences import Quiet

    lunch = Quiet(time(12, 0), time(14, 0), "Africa/Lagos")
    lagos = ZoneInfo("Africa/Lagos")
    assert lunch.covers(datetime(2026, 12, 1, 13, 0, tzinfo=lagos))
    assert not lunch.covers(datetime(2026, 12, 1, 14, 0, tzinfo=lagos))
    assert lunch.end_after(datetime(2026, 12, 1, 13, 0, tzinfo=lagos)) == datetime(2026, 12, 1, 14, 0, tzinfo=lagos)


def test_an_sms_goes_in_the_users_language_through_the_sender(sandbox_sent):
    user = UserFactory(language="sw", phone_number="+254722334455")
    services.notify(user=user, event="transfer_received", context=example("transfer_received"))
    sms = [message for message in sandbox_sent if isinstance(message, OutgoingSms)]
    assert len(sms) == 1 and sms[0].to == user.phone_number
    assert sms[0].text.startswith("Pamoja:") and "umepokea" in sms[0].text
    sent = Delivery.objects.get(channel=Channel.SMS)
    assert sent.status == DeliveryStatus.SENT and sent.provider == "sandbox" and sent.provider_id.startswith("sandbox-")


@override_settings(NOTIFICATION_MAX_ATTEMPTS=3, NOTIFICATION_RETRY_BASE=60)
def test_a_failing_delivery_is_retried_with_backoff_then_marked_failed():
    user = UserFactory(phone_number="+254711110000")  # the sandbox's "the SMS gateway is down" number
    notification = services.notify(user=user, event="deposit_credited", context=example("deposit_credited"))
    services.dispatch(notification_id=notification.pk)
    sms = deliveries(notification)["sms"]
    start = datetime(2026, 12, 1, 10, 0, tzinfo=NAIROBI)
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        Delivery.objects.filter(pk=sms.pk).update(send_after=start)
        for _ in range(3):
            status = services.send_delivery(delivery_id=sms.pk)
            sms.refresh_from_db()
            waits.append((sms.send_after - datetime.now(tz=NAIROBI)).total_seconds())
            clock.move_to(sms.send_after)
    assert status == DeliveryStatus.FAILED
    assert sms.status == DeliveryStatus.FAILED and sms.attempts == 3 and sms.error
    assert waits[:2] == [60, 240]


def test_a_device_the_provider_forgot_is_removed(sandbox_sent):
    user = UserFactory()
    Device.objects.create(user=user, fcm_token="unregistered-old-phone", platform="android")
    Device.objects.create(user=user, fcm_token="good-phone", platform="android")
    services.notify(user=user, event="password_changed", context={})
    assert list(Device.objects.filter(user=user).values_list("fcm_token", flat=True)) == ["good-phone"]
    push = Delivery.objects.get(channel=Channel.PUSH)
    assert push.status == DeliveryStatus.SENT


def test_push_without_a_device_is_skipped_not_failed():
    user = UserFactory()
    notification = services.notify(user=user, event="password_changed", context={})
    services.dispatch(notification_id=notification.pk)
    assert services.send_delivery(delivery_id=deliveries(notification)["push"].pk) == DeliveryStatus.SKIPPED


def test_secrets_are_sent_but_never_stored_in_the_clear(mailoutbox, messages_delivered):
    user = UserFactory()
    link = "https://app.example/reset-password?uid=abc&token=s3cret-token"
    notification = services.notify(user=user, event="password_reset", context={"link": link})
    assert "s3cret" not in notification.body and not notification.shown_in_app
    assert len(mailoutbox) == 1 and link in mailoutbox[0].body
    assert link in mailoutbox[0].alternatives[0][0].replace("&amp;", "&")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_context, body, context FROM notifications_notification")
        sealed, body, context = cursor.fetchone()
        cursor.execute("SELECT sealed_context FROM notifications_delivery")
        (delivery_sealed,) = cursor.fetchone()
    assert "s3cret" not in sealed + body + str(context) + delivery_sealed
    assert json.loads(Notification.objects.get().sealed_context) == {"link": link}


def test_an_address_without_an_account_gets_one_email(mailoutbox, messages_delivered):
    services.notify_address(
        channel=Channel.EMAIL, address="someone@example.com", event="sign_up_phone_taken", context={}, language="sw"
    )
    assert mailoutbox[0].to == ["someone@example.com"] and "Pamoja" in mailoutbox[0].subject
    assert not Notification.objects.exists()


def test_the_sweep_dispatches_what_the_broker_lost_and_sends_what_is_due(messages_delivered, mailoutbox):
    user = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(minutes=5), tick=False):
        notification = Notification.objects.create(
            user=user, event="pin_changed", category="security", type="info", title="t", body="b"
        )  # as if the commit happened and the broker was down
    assert services.send_due() >= 1
    notification.refresh_from_db()
    assert notification.dispatched_at is not None
    assert set(deliveries(notification)) == {"push", "sms", "email"}
    assert len(mailoutbox) == 1


def test_resend_puts_a_failed_delivery_back(messages_delivered):
    user = UserFactory()
    notification = services.notify(user=user, event="password_changed", context={})
    email = deliveries(notification)["email"]
    Delivery.objects.filter(pk=email.pk).update(status=DeliveryStatus.FAILED, error="smtp down")
    assert services.resend(delivery_id=email.pk)
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT and email.error == ""
