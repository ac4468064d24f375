"""Merchants' outbound webhooks: signed per Standard Webhooks (checked with the `standardwebhooks` library, as a
merchant's receiver would), sent only after the effect commits, retried on the schedule until dead, a 410 switches
the endpoint off, redelivery from the API and the admin (audited), and no request ever reaches a non-public address.
"""

import socket
from datetime import timedelta

import httpx
import pytest
import respx
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from accounts.models import StaffAuditEntry
from config.celery import app as celery_app
from loyalty.models import (
    DeliveryAttempt,
    DeliveryState,
    EndpointDelivery,
    IssuanceState,
    StaffRole,
    TenantStaff,
    WebhookEndpoint,
    WebhookEventType,
    WebhookMessage,
)
from loyalty.services import webhooks
from loyalty.services.customers import create_customer
from loyalty.services.issuances import expire_due_issuances, issue_reward, redeem_issuance
from loyalty.tenancy import all_tenants
from tests.factories import UserFactory
from tests.loyalty.conftest import make_customer, make_reward, make_tenant, within

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"
URL = "https://hooks.example.com/pamoja?x=1"
PINNED = f"https://{PUBLIC}/pamoja?x=1"
DNS = {
    "hooks.example.com": [PUBLIC],
    "internal.example.com": ["10.0.0.5"],
    "meta.example.com": ["169.254.169.254"],
    "six.example.com": ["::1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
    "mixed.example.com": [PUBLIC, "192.168.1.4"],
}


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> dict[str, list[str]]:
    """Name resolution as the test says (the records can change mid-test: DNS rebinding)."""
    records = {name: list(found) for name, found in DNS.items()}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = lambda address: socket.AF_INET6 if ":" in address else socket.AF_INET  # noqa: E731
        return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in records[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return records


@pytest.fixture
def eager():
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


@pytest.fixture
def receiver():
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def endpoint_for(tenant, url=URL, events=None):
    with within(tenant):
        return webhooks.create_endpoint(tenant=tenant, url=url, events=events or list(WebhookEventType.values))


def announce(tenant, event_type=WebhookEventType.REWARD_ISSUED, payload=None):
    with within(tenant):
        return webhooks.publish(tenant=tenant, event_type=event_type, payload=payload or {"issuance_id": 1})


def the_delivery(message) -> EndpointDelivery:
    with all_tenants():
        return EndpointDelivery.objects.select_related("endpoint").get(message=message)


def attempts_of(delivery) -> list[DeliveryAttempt]:
    with all_tenants():
        return list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))


def fresh(row):
    with all_tenants():
        return type(row).objects.get(pk=row.pk)


def deliver_now(delivery) -> EndpointDelivery | None:
    return webhooks.deliver(tenant_id=str(delivery.tenant_id), delivery_id=delivery.pk)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def hooks_path(tenant, tail="") -> str:
    return f"/api/v1/loyalty/tenants/{tenant.pk}/webhooks/{tail}"


# --- signatures --------------------------------------------------------------------------------------------------


def test_a_delivery_is_signed_so_the_standardwebhooks_library_verifies_it(
    tenant, receiver, eager, django_capture_on_commit_callbacks
):
    made = endpoint_for(tenant)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(204))
    with django_capture_on_commit_callbacks(execute=True):
        message = announce(tenant, payload={"issuance_id": 7, "cost": "10.00"})

    assert route.call_count == 1
    sent = route.calls.last.request
    body = Webhook(made.secret).verify(sent.content, dict(sent.headers))
    assert body == {"type": "reward.issued", "timestamp": message.payload["timestamp"], "data": message.payload["data"]}
    assert body["data"] == {"issuance_id": 7, "cost": "10.00"}
    assert sent.headers["webhook-id"] == message.msg_id and message.msg_id.startswith("msg_")
    assert sent.headers["host"] == "hooks.example.com"  # pinned to the address checked, still naming the host
    assert sent.extensions["sni_hostname"] == "hooks.example.com"
    assert made.secret.startswith("whsec_")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(sent.content, dict(sent.headers))

    delivery = the_delivery(message)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.SUCCEEDED, 1, 204)
    assert delivery.succeeded_at is not None and delivery.next_attempt_at is None
    [attempt] = attempts_of(delivery)
    assert (attempt.number, attempt.status_code, attempt.trigger) == (1, 204, "schedule")


def test_during_a_rotation_both_secrets_sign_and_after_a_day_only_the_new_one(tenant, receiver):
    made = endpoint_for(tenant)
    with within(tenant):
        rotated = webhooks.rotate_secret(tenant=tenant, endpoint_id=made.endpoint.pk)
    assert rotated.secret != made.secret
    route = receiver.post(PINNED).mock(return_value=httpx.Response(200))

    deliver_now(the_delivery(announce(tenant)))
    sent = route.calls.last.request
    assert len(sent.headers["webhook-signature"].split(" ")) == 2
    Webhook(made.secret).verify(sent.content, dict(sent.headers))  # a receiver not yet switched
    Webhook(rotated.secret).verify(sent.content, dict(sent.headers))  # and one already switched

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        deliver_now(the_delivery(announce(tenant)))
        later = route.calls.last.request
        assert len(later.headers["webhook-signature"].split(" ")) == 1
        Webhook(rotated.secret).verify(later.content, dict(later.headers))
        with pytest.raises(WebhookVerificationError):
            Webhook(made.secret).verify(later.content, dict(later.headers))


# --- retries -------------------------------------------------------------------------------------------------------


def test_a_failing_endpoint_is_retried_on_the_schedule_then_the_delivery_is_dead(tenant, receiver, eager):
    endpoint_for(tenant)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(500))
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = the_delivery(announce(tenant))
        deliver_now(delivery)
        for number in range(1, len(webhooks.SCHEDULE)):
            delivery = fresh(delivery)
            assert delivery.state == DeliveryState.PENDING and delivery.attempts == number
            wait = delivery.next_attempt_at - timezone.now()
            expected = webhooks.SCHEDULE[number]
            assert expected * 0.84 <= wait <= expected * 1.16, (number, wait)
            clock.move_to(delivery.next_attempt_at - timedelta(seconds=1))
            assert webhooks.deliver_due() == 0  # not due yet: nothing is sent early
            clock.move_to(delivery.next_attempt_at)
            assert webhooks.deliver_due() == 1
        delivery = fresh(delivery)
        assert delivery.state == DeliveryState.DEAD and delivery.next_attempt_at is None
        assert delivery.attempts == len(webhooks.SCHEDULE) == route.call_count == 10
        assert timedelta(hours=64) < timezone.now() - start < timedelta(hours=87)  # about 75.6 h, with jitter
        assert [a.status_code for a in attempts_of(delivery)] == [500] * 10
        assert webhooks.deliver_due(now=timezone.now() + timedelta(days=30)) == 0
    assert len({c.request.headers["webhook-id"] for c in route.calls}) == 1  # stable across retries


def test_retry_after_is_honoured(tenant, receiver):
    endpoint_for(tenant)
    receiver.post(PINNED).mock(return_value=httpx.Response(429, headers={"retry-after": "3600"}))
    delivery = the_delivery(announce(tenant))
    deliver_now(delivery)
    delivery = fresh(delivery)
    assert delivery.next_attempt_at - timezone.now() >= timedelta(seconds=3590)


def test_an_attempt_is_claimed_once_so_two_workers_never_both_send(tenant, receiver):
    endpoint_for(tenant)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(500))
    delivery = the_delivery(announce(tenant))
    deliver_now(delivery)
    assert deliver_now(delivery) is None  # the retry is not due yet
    assert route.call_count == 1


def test_a_410_disables_the_endpoint_and_nothing_more_is_sent(tenant, receiver, eager):
    made = endpoint_for(tenant)
    route = receiver.post(PINNED).mock(return_value=httpx.Response(410))
    first, second = the_delivery(announce(tenant)), the_delivery(announce(tenant))
    deliver_now(first)
    first = fresh(first)
    second = fresh(second)
    assert first.state == DeliveryState.DEAD and second.state == DeliveryState.DEAD
    gone = fresh(made.endpoint)
    assert not gone.active and "410" in gone.disabled_reason
    assert announce(tenant) is None  # no endpoint wants it now
    assert webhooks.deliver_due(now=timezone.now() + timedelta(days=4)) == 0
    assert route.call_count == 1


# --- redelivery ----------------------------------------------------------------------------------------------------


def test_redeliver_from_the_api_makes_a_fresh_attempt_even_for_a_dead_delivery(
    tenant, shop_admin, receiver, eager, django_capture_on_commit_callbacks
):
    made = endpoint_for(tenant)
    receiver.post(PINNED).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    delivery = the_delivery(announce(tenant))
    deliver_now(delivery)
    with all_tenants():
        EndpointDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.DEAD, next_attempt_at=None)

    path = hooks_path(tenant, f"{made.endpoint.pk}/deliveries/{delivery.pk}/redeliver/")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(shop_admin).post(path)
    assert answer.status_code == 202, answer.json()
    delivery = fresh(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SUCCEEDED, 2)
    assert [(a.trigger, a.status_code) for a in attempts_of(delivery)] == [("schedule", 500), ("redeliver", 200)]

    log = client_for(shop_admin).get(hooks_path(tenant, f"{made.endpoint.pk}/deliveries/")).json()["results"]
    assert log[0]["state"] == "succeeded" and [a["status_code"] for a in log[0]["attempt_log"]] == [500, 200]


def test_redeliver_from_the_admin_asks_a_reason_and_is_audited(
    tenant, receiver, eager, django_capture_on_commit_callbacks
):
    endpoint_for(tenant)
    receiver.post(PINNED).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    delivery = the_delivery(announce(tenant))
    deliver_now(delivery)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    changelist = "/admin/loyalty/endpointdelivery/"
    assert client.get(changelist).status_code == 200

    ask = client.post(changelist, {"action": "redeliver_selected", "_selected_action": [delivery.pk]})
    assert ask.status_code == 200 and b"reason" in ask.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            changelist,
            {"action": "redeliver_selected", "_selected_action": [delivery.pk], "reason": "merchant fixed their TLS"},
        )
    delivery = fresh(delivery)
    assert delivery.state == DeliveryState.SUCCEEDED
    assert attempts_of(delivery)[-1].trigger == "redeliver"
    entry = StaffAuditEntry.objects.get(action="loyalty.webhook_redeliver")
    assert (entry.actor, entry.target_id, entry.reason) == (staff, str(delivery.pk), "merchant fixed their TLS")


# --- SSRF ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8000/hook",
        "http://2130706433/hook",
        "https://internal.example.com/hook",
        "https://meta.example.com/hook",
        "https://six.example.com/hook",
        "https://mapped.example.com/hook",
        "https://mixed.example.com/hook",
        "ftp://hooks.example.com/hook",
        "https://user:pass@hooks.example.com/hook",
        "file:///etc/passwd",
    ],
)
def test_an_endpoint_that_is_not_public_is_refused_at_creation(tenant, shop_admin, url):
    answer = client_for(shop_admin).post(hooks_path(tenant), {"url": url, "events": ["reward.issued"]}, format="json")
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"]["code"] == "validation_error" and "url" in answer.json()["error"]["details"]
    with all_tenants():
        assert not WebhookEndpoint.objects.exists()


def test_a_host_that_turns_private_is_refused_at_delivery(tenant, receiver, dns):
    endpoint_for(tenant)
    route = receiver.route().mock(return_value=httpx.Response(200))
    dns["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding after the check at creation
    delivery = the_delivery(announce(tenant))
    deliver_now(delivery)
    assert route.call_count == 0
    delivery = fresh(delivery)
    assert delivery.state == DeliveryState.PENDING and "non-public" in delivery.last_error
    assert delivery.last_status_code is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC, True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),  # noqa: S104
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
    ],
)
def test_public_addresses(address, public):
    assert webhooks.is_public_address(address) is public


def test_sandbox_mode_lets_a_receiver_on_this_machine_in(tenant, settings, receiver):
    settings.LOYALTY_WEBHOOKS_ALLOW_PRIVATE = True
    endpoint_for(tenant, url="http://127.0.0.1:9000/hook")
    route = receiver.post("http://127.0.0.1:9000/hook").mock(return_value=httpx.Response(200))
    deliver_now(the_delivery(announce(tenant)))
    assert route.call_count == 1


# --- the events the services emit ----------------------------------------------------------------------------------


def test_the_services_announce_enrolments_issues_redemptions_and_expiries(tenant, budget, receiver):
    endpoint_for(tenant)
    receiver.post(PINNED).mock(return_value=httpx.Response(200))
    reward = make_reward(tenant, budget, validity_days=1)
    with within(tenant):
        customer = create_customer(tenant=tenant, phone="+254711000111")
        kept = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:1")
        redeem_issuance(tenant=tenant, issuance_id=kept.pk, actor="user:1")
        lapsed = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:1")
        assert expire_due_issuances(tenant=tenant, now=timezone.now() + timedelta(days=2)) == 1
    with all_tenants():
        sent = [(m.event_type, m.payload["data"]) for m in WebhookMessage.objects.order_by("created_at", "pk")]
    assert [kind for kind, _ in sent] == [
        "customer.enrolled",
        "reward.issued",
        "reward.redeemed",
        "reward.issued",
        "reward.expired",
    ]
    assert sent[0][1]["customer_id"] == customer.pk
    assert sent[1][1]["issuance_id"] == kept.pk and sent[1][1]["cost"] == "10.00"
    assert sent[4][1]["issuance_id"] == lapsed.pk and sent[4][1]["state"] == IssuanceState.EXPIRED
    for _, data in sent[1:]:
        assert "code" not in data and kept.code not in str(data)  # never the customer's one-time code


def test_only_the_event_types_an_endpoint_chose_are_sent(tenant, budget):
    endpoint_for(tenant, events=["reward.redeemed"])
    reward = make_reward(tenant, budget)
    customer = make_customer(tenant)
    with within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:1")
        assert not WebhookMessage.objects.exists()


def test_nothing_is_announced_when_the_transaction_rolls_back(tenant, budget, django_capture_on_commit_callbacks):
    endpoint_for(tenant)
    reward = make_reward(tenant, budget)
    customer = make_customer(tenant)

    def issue_then_fail() -> None:
        with within(tenant):
            issue_reward(tenant=tenant, customer=customer, reward=reward, actor="user:1")
            assert WebhookMessage.objects.count() == 1
            raise RuntimeError("the caller fails after the issue")

    with django_capture_on_commit_callbacks() as queued, pytest.raises(RuntimeError):
        issue_then_fail()
    assert queued == []
    with all_tenants():
        assert not WebhookMessage.objects.exists() and not EndpointDelivery.objects.exists()


def test_publishing_queues_the_first_attempt_only_after_the_commit(tenant, django_capture_on_commit_callbacks):
    endpoint_for(tenant)
    with django_capture_on_commit_callbacks() as queued:
        announce(tenant)
    assert len(queued) == 1


# --- the API -------------------------------------------------------------------------------------------------------


def test_the_api_shows_the_secret_once_and_manages_the_endpoint(tenant, shop_admin):
    client = client_for(shop_admin)
    made = client.post(
        hooks_path(tenant), {"url": URL, "events": ["reward.issued"], "description": "POS"}, format="json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["reward.issued"]
    listed = client.get(hooks_path(tenant)).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in client.get(hooks_path(tenant, f"{body['id']}/")).json()

    changed = client.patch(hooks_path(tenant, f"{body['id']}/"), {"active": False}, format="json").json()
    assert changed["active"] is False
    back = client.patch(
        hooks_path(tenant, f"{body['id']}/"), {"active": True, "events": ["reward.expired"]}, format="json"
    )
    assert back.json()["active"] is True and back.json()["disabled_reason"] == ""
    rotated = client.post(hooks_path(tenant, f"{body['id']}/rotate-secret/")).json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_until"] is not None
    assert client.delete(hooks_path(tenant, f"{body['id']}/")).status_code == 204
    assert client.get(hooks_path(tenant, f"{body['id']}/")).status_code == 404


def test_another_tenants_endpoint_is_not_found(tenant, shop_admin):
    other = make_tenant()
    theirs = endpoint_for(other)
    delivery = the_delivery(announce(other))
    client = client_for(shop_admin)
    pk = theirs.endpoint.pk
    assert client.get(hooks_path(tenant, f"{pk}/")).status_code == 404
    assert client.patch(hooks_path(tenant, f"{pk}/"), {"active": False}, format="json").status_code == 404
    assert client.delete(hooks_path(tenant, f"{pk}/")).status_code == 404
    assert client.post(hooks_path(tenant, f"{pk}/rotate-secret/")).status_code == 404
    assert client.get(hooks_path(tenant, f"{pk}/deliveries/")).status_code == 404
    assert client.post(hooks_path(tenant, f"{pk}/deliveries/{delivery.pk}/redeliver/")).status_code == 404
    assert client_for(shop_admin).get(hooks_path(other)).status_code == 404
    assert fresh(theirs.endpoint).active


def test_a_viewer_reads_the_log_but_cannot_manage_endpoints(tenant):
    made = endpoint_for(tenant)
    viewer = UserFactory()
    with within(tenant):
        TenantStaff.objects.create(tenant=tenant, user=viewer, role=StaffRole.VIEWER)
    client = client_for(viewer)
    refused = client.post(hooks_path(tenant), {"url": URL, "events": ["reward.issued"]}, format="json")
    assert refused.status_code == 403
    assert client.post(hooks_path(tenant, f"{made.endpoint.pk}/rotate-secret/")).status_code == 403
    assert client.get(hooks_path(tenant, f"{made.endpoint.pk}/deliveries/")).status_code == 200
    assert client.get(hooks_path(tenant)).status_code == 200


def test_unknown_event_types_are_refused(tenant, shop_admin):
    answer = client_for(shop_admin).post(hooks_path(tenant), {"url": URL, "events": ["order.paid"]}, format="json")
    assert answer.status_code == 400 and "events" in answer.json()["error"]["details"]
