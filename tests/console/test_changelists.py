"""Every changelist of the admin opens with a bounded number of queries, whatever the row count: each registered
model's list, opened by a superuser, runs as many queries with three times the rows as with one copy of them (no
query per row: `list_select_related`, no per-row lookups in columns)."""

import itertools
import uuid
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule

from accounts.models import StaffAuditEntry
from billpay.models import CategoryCode
from console.services import record_ledger_check_run
from contributions.models import Cycle, Payout, RecordedPayment, SwapRequest
from contributions.services.paybill import receive_paybill_payment
from core.models import ProcessedEvent
from groups.models import GroupMessage, GroupStatus, Meeting, Membership, SavingsGroup
from loyalty.models import (
    ConsentRecord,
    Customer,
    DailyStats,
    EndpointDelivery,
    Referral,
    Tier,
    TierChange,
    UssdSession,
    WebhookEndpoint,
    WebhookMessage,
    WhatsAppConversation,
    WhatsAppMessage,
)
from loyalty.services.campaigns import create_campaign
from loyalty.services.issuances import issue_reward
from loyalty.services.rules import create_rule
from loyalty.services.tenants import create_api_key
from notifications.models import ChannelPreference, QuietHours
from payments.models import BankAccount, Card, IdempotencyRecord, VelocityRefusal
from payments.providers.mpesa.adapter import C2BConfirmation
from tests.console.conftest import build_world
from tests.factories import UserFactory
from tests.factories.billpay import BeneficiaryFactory, BillCategoryFactory, BillVariationFactory
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within

pytestmark = pytest.mark.django_db

SERIAL = itertools.count()

# Registered models whose list this test does not fill (or not three times over), and why. The test fails if any
# other model's list is left empty (then build its rows in `populate`).
NOT_BUILT = {
    "auth.group": "three rows made by the roles' migration; a group's list has no per-row lookups to grow",
    "token_blacklist.outstandingtoken": "rows are made by JWT sign-in (simplejwt's own admin, not ours)",
    "token_blacklist.blacklistedtoken": "rows are made by sign-out (simplejwt's own admin, not ours)",
    "axes.accessattempt": "rows are made by failed admin sign-ins (django-axes' own admin)",
    "axes.accesslog": "django-axes' own admin; its access log is off (AXES_DISABLE_ACCESS_LOG)",
    "axes.accessfailurelog": "django-axes' own admin; rows are made by failed sign-ins",
    "loyalty.event": "an event needs the rules engine's whole world (tests/loyalty/test_events_api.py); its list "
    "selects its tenant and customer",
}


def _loyalty(n: int) -> None:
    tenant = make_tenant()
    customer = make_customer(tenant)
    budget = make_budget(tenant, "500.00")
    reward = make_reward(tenant, budget)
    with within(tenant):
        create_campaign(tenant=tenant, name=f"Campaign {n}")
        create_api_key(tenant=tenant, creator=tenant.created_by, name=f"key {n}")
        create_rule(
            tenant=tenant,
            name=f"Rule {n}",
            conditions={"==": [{"var": "event.type"}, "purchase"]},
            reward_id=reward.pk,
        )
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="test")
        referee = Customer.objects.create(tenant=tenant, phone=f"+26377{n:07d}")
        tier = Tier.objects.create(tenant=tenant, name=f"Gold {n}", threshold=Decimal(100))
        TierChange.objects.create(tenant=tenant, customer=customer, to_tier=tier, total=Decimal(120))
        Referral.objects.create(tenant=tenant, referrer=customer, referee=referee)
        ConsentRecord.objects.create(tenant=tenant, customer=customer, channel="sms", granted=True, source="api")
        DailyStats.objects.create(tenant=tenant, day=timezone.localdate() - timedelta(days=n + 1), events=n)
        UssdSession.objects.create(tenant=tenant, session_id=f"ATUid_{n}", phone=customer.phone, customer=customer)
        chat = WhatsAppConversation.objects.create(tenant=tenant, wa_id=customer.phone[1:], customer=customer)
        WhatsAppMessage.objects.create(
            tenant=tenant, conversation=chat, direction="in", wamid=f"wamid.{n}", body="BALANCE", status="received"
        )
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant, url=f"https://hooks{n}.example.com/in", events=["reward.issued"], secret="whsec_x"
        )
        message = WebhookMessage.objects.create(
            tenant=tenant, msg_id=f"msg_{uuid.uuid4().hex}", event_type="reward.issued", payload={}
        )
        EndpointDelivery.objects.create(tenant=tenant, endpoint=endpoint, message=message)


def populate(copies: int) -> None:
    """`copies` of a world with a row in every list this test can fill."""
    build_world(scale=copies)  # users, money, bills, reviews, KYC, webhooks, groups, contributions, loans
    staff = UserFactory(is_staff=True)
    now = timezone.now()
    for _ in range(copies):
        n = next(SERIAL)
        tag = uuid.uuid4().hex[:8]
        member = UserFactory()
        StaffAuditEntry.objects.create(actor=staff, action="test", target_type="accounts.user", target_id=str(n))
        record_ledger_check_run(discrepancies=0)
        ProcessedEvent.objects.create(provider="paystack", event_id=f"evt-{tag}", outcome="credited")
        BankAccount.objects.create(
            user=member,
            provider="paystack",
            currency="NGN",
            bank_code="058",
            account_number=f"01{n:08d}",
            account_number_hash=f"hash-{tag}",
            last4=f"{n:04d}",
            account_name="A Member",
        )
        Card.objects.create(
            user=member,
            provider="paystack",
            authorization_code=f"AUTH_{tag}",
            signature=f"SIG_{tag}",
            last4="4081",
            exp_month=12,
            exp_year=2030,
        )
        VelocityRefusal.objects.create(
            user=member, kind="transfer", window="hour", scope="user", limit="count", amount=Decimal(10), currency="KES"
        )
        IdempotencyRecord.objects.create(
            key=f"key-{tag}",
            user=member,
            method="POST",
            path="/api/v1/wallet/transfer/",
            fingerprint="x" * 64,
            response_status=201,
            response_body={},
            expires_at=now + timedelta(days=1),
        )
        BeneficiaryFactory(user=member)
        BillVariationFactory()
        BillCategoryFactory(code=list(CategoryCode)[2 + n])  # airtime and data come with the world; five in all
        ChannelPreference.objects.create(user=member, category="wallet", push=True, sms=False, email=True)
        QuietHours.objects.create(user=member, starts=time(22), ends=time(6))
        interval = IntervalSchedule.objects.create(every=n + 1, period="minutes")
        PeriodicTask.objects.create(name=f"task {tag}", task="x", interval=interval)
        ClockedSchedule.objects.create(clocked_time=now + timedelta(days=n + 1))
        CrontabSchedule.objects.create(minute=str(n))
        SolarSchedule.objects.create(event="sunrise", latitude=Decimal(n), longitude=Decimal(n))
        _loyalty(n)
        receive_paybill_payment(
            confirmation=C2BConfirmation(
                trans_id=f"RKC{tag}",
                short_code="174379",
                bill_ref="NOSUCHACCT",
                amount=Decimal(500),
                msisdn="254700999999",
                payer_name="John Doe",
                paid_at=now,
            )
        )
    # group life: a message, a meeting, a payout, a swap and a recorded cash payment per running group not yet done
    for group in SavingsGroup.objects.filter(status=GroupStatus.ACTIVE, messages__isnull=True):
        first, second, *_ = Membership.objects.filter(group=group).order_by("pk")
        cycle = Cycle.objects.filter(group=group).order_by("number").first()
        GroupMessage.objects.create(group=group, author=first.user, body="hello")
        Meeting.objects.create(group=group, scheduled_for=now + timedelta(days=3), created_by=first)
        Payout.objects.create(
            cycle=cycle,
            recipient=first,
            gross_amount=Decimal(100),
            cash_amount=Decimal(100),
            fee=0,
            deductions=0,
            amount=0,
        )
        SwapRequest.objects.create(group=group, requested_by=first, counterparty=second, from_cycle=1, to_cycle=2)
        RecordedPayment.objects.create(
            group=group,
            member=first,
            amount=Decimal(100),
            method="cash",
            receipt_number=f"R-{group.pk}",
            paid_on=now.date(),
            applies_to="contribution",
            recorded_by=second,
        )


def open_every_changelist(client: Client) -> dict[str, tuple[int, int]]:
    """model label -> (queries, rows listed)."""
    seen = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        seen[model._meta.label_lower] = (len(queries), answer.context["cl"].result_count)
    return seen


def test_every_changelist_runs_as_many_queries_with_three_times_the_rows():
    boss = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(boss)
    client.get("/admin/")  # the session is saved once before counting

    populate(1)
    once = open_every_changelist(client)
    populate(2)
    thrice = open_every_changelist(client)

    empty = {label for label, (_, rows) in once.items() if rows == 0}
    assert empty <= set(NOT_BUILT), f"lists left empty, build their rows: {sorted(empty - set(NOT_BUILT))}"
    built = set(once) - set(NOT_BUILT)
    assert not {label for label in built if thrice[label][1] <= once[label][1]}, "some lists did not grow"
    grew = {label: (once[label][0], thrice[label][0]) for label in built if thrice[label][0] != once[label][0]}
    assert grew == {}, f"queries per list grew with the rows (one copy, three copies): {grew}"
