"""Finance staff see notifications and deliveries, read-only and without secrets, and resend a delivery only with
the right permission. A delivery is sent once even when two workers reach it at once."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from notifications import services
from notifications.models import Delivery, DeliveryStatus
from tests.factories import UserFactory
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db

DELIVERIES = "/admin/notifications/delivery/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def failed_email():
    member = UserFactory(email="amina@example.com")
    notification = services.notify(user=member, event="password_reset", context={"link": "https://x/r?token=s3cret"})
    services.dispatch(notification_id=notification.pk)
    email = Delivery.objects.get(notification=notification, channel="email")
    Delivery.objects.filter(pk=email.pk).update(status=DeliveryStatus.FAILED, error="SMTP 421", attempts=5)
    return email


def test_staff_find_a_delivery_by_email_without_seeing_its_secret(failed_email, django_assert_max_num_queries):
    boss = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(boss)
    for _ in range(3):
        services.notify(user=UserFactory(), event="pin_changed", context={})
    with django_assert_max_num_queries(15):
        listed = client.get(DELIVERIES, {"q": "amina@example.com"})
    assert (listed.status_code == 200 and b"SMTP" not in listed.content) or b"amina@example.com" in listed.content
    detail = client.get(f"{DELIVERIES}{failed_email.pk}/change/")
    assert detail.status_code == 200 and b"s3cret" not in detail.content
    notification = client.get(f"/admin/notifications/notification/{failed_email.notification_id}/change/")
    assert notification.status_code == 200 and b"s3cret" not in notification.content
    assert client.get(f"{DELIVERIES}add/").status_code == 403


def test_resend_needs_the_permission(failed_email, messages_delivered, mailoutbox):
    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    action = {"action": "resend_selected", "_selected_action": [failed_email.pk], "reason": "member asked again"}
    client_for(clerk).post(DELIVERIES, action)
    failed_email.refresh_from_db()
    assert failed_email.status == DeliveryStatus.FAILED and mailoutbox == []

    clerk.user_permissions.add(Permission.objects.get(codename="change_delivery"))
    client_for(clerk).post(DELIVERIES, action)
    failed_email.refresh_from_db()
    assert failed_email.status == DeliveryStatus.SENT and len(mailoutbox) == 1
    assert "s3cret" in mailoutbox[0].body  # the user gets the link; staff never saw it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_delivery_send_it_once(sandbox_sent):
    member = UserFactory(phone_number="+254733445566")
    notification = services.notify(user=member, event="pin_changed", context={})
    sms = Delivery.objects.get(notification=notification, channel="sms")
    sent_before = len(sandbox_sent)
    Delivery.objects.filter(pk=sms.pk).update(status=DeliveryStatus.PENDING)
    results = run_threads(4, lambda _: services.send_delivery(delivery_id=sms.pk))
    assert sorted(map(str, results)).count("sent") == 1 and results.count("not_due") == 3
    assert len(sandbox_sent) == sent_before + 1
    assert connection.vendor == "postgresql"
