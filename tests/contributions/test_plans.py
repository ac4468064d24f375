"""Plans: Free's limits refuse with `plan_limit`; a paid plan is billed a month at a time from the chair's wallet
(or the pot), once per month however often the job runs; an unpaid month lapses to Free's limits, data kept."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps as django_apps
from django.utils import timezone

from contributions.models import PlanCharge
from contributions.services import bill_plans
from contributions.services.ledger import post_for_group
from groups.errors import PlanLimitError
from groups.models import Membership, SavingsGroup
from groups.services import join_group
from notifications.models import Notification
from payments.models import AccountKind, LedgerEntry, TransactionKind
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_house_account, get_wallet
from tests.factories import UserFactory
from tests.fixtures.groups import CHAMA, NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_running(started_group, real_plan_limits):
    def make(funded="20000.00"):
        with at("2026-12-01T10:00", NAIROBI):
            group, people = started_group(size=3, funded=funded, **CHAMA)
        gid = group["id"]
        ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
        return gid, people, ids

    return make


@pytest.fixture
def running(make_running):
    return make_running()


def change(person, gid, plan, billing="chair_wallet"):
    return person.post(f"groups/{gid}/plan/", {"plan": plan, "billing": billing}, money=True)


def fee_income() -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(account__kind=AccountKind.FEE_INCOME)), Decimal("0"))


def test_free_limits_refuse_with_plan_limit(running):
    gid, (chair, _treasurer, member), ids = running
    assert chair.get(f"groups/{gid}/plan/").json()["effective_plan"] == "free"
    loan = member.post(f"groups/{gid}/loans/", {"amount": "100.00", "term_months": 1, "purpose": "Stock"})
    assert loan.status_code == 403 and loan.json()["error"]["code"] == "plan_limit"
    assert loan.json()["error"]["details"]["plans_with_it"] == ["standard", "premium"]
    export = member.get(f"groups/{gid}/members/{ids[member]}/statement/", format="csv")
    assert export.status_code == 403
    assert member.get(f"groups/{gid}/members/{ids[member]}/statement/").status_code == 200  # JSON stays
    recorded = chair.post(
        f"groups/{gid}/payments/",
        {
            "membership": ids[member],
            "amount": "1000.00",
            "method": "cash",
            "receipt_number": "R1",
            "paid_on": "2026-12-01",
            "applies_to": "contribution",
        },
    )
    assert recorded.status_code == 403 and recorded.json()["error"]["code"] == "plan_limit", recorded.json()


def test_free_takes_ten_members_at_most(forming_group, real_plan_limits):
    group, _people = forming_group(size=10, **CHAMA)
    with pytest.raises(PlanLimitError):
        join_group(user=UserFactory(), invite_code=group["invite_code"])


def test_a_paid_plan_is_billed_once_a_month_from_the_chairs_wallet(running):
    gid, (chair, treasurer, member), _ids = running
    before = get_wallet(user_id=chair.user.pk, currency="KES").balance
    assert change(treasurer, gid, "standard").json()["error"]["code"] == "chair_only"
    upgraded = change(chair, gid, "standard")
    assert upgraded.status_code == 200, upgraded.json()
    plan = upgraded.json()
    assert (plan["plan"], plan["effective_plan"], plan["prices"]["standard"]) == ("standard", "standard", "500.00")
    assert change(chair, gid, "standard").status_code == 200  # the month is paid: not billed again
    assert get_wallet(user_id=chair.user.pk, currency="KES").balance == before - Decimal("500.00")
    assert fee_income() == Decimal("500.00") and PlanCharge.objects.count() == 1
    loan = member.post(f"groups/{gid}/loans/", {"amount": "100.00", "term_months": 1, "purpose": "Stock"})
    assert loan.status_code != 403

    next_month = SavingsGroup.objects.get(pk=gid).plan_paid_through + timedelta(days=1)
    with time_machine.travel(
        timezone.datetime.combine(next_month, timezone.datetime.min.time()).replace(hour=9, tzinfo=NAIROBI)
    ):
        assert bill_plans() == 1 and bill_plans() == 0
    assert PlanCharge.objects.count() == 2 and fee_income() == Decimal("1000.00")
    assert ledger_discrepancies() == []


def test_an_unpaid_month_lapses_to_free_and_the_chair_is_told_once(make_running):
    gid, (chair, _treasurer, _member), _ids = make_running(funded="600.00")  # one month of Standard and no more
    assert change(chair, gid, "standard").status_code == 200
    next_month = SavingsGroup.objects.get(pk=gid).plan_paid_through + timedelta(days=1)
    moment = timezone.datetime.combine(next_month, timezone.datetime.min.time()).replace(hour=9, tzinfo=NAIROBI)
    with time_machine.travel(moment):
        assert bill_plans() == 0 and bill_plans() == 0
        plan = chair.get(f"groups/{gid}/plan/").json()
        assert (plan["plan"], plan["effective_plan"]) == ("standard", "free")
    assert Notification.objects.filter(user=chair.user, event="plan_lapsed").count() == 1
    assert PlanCharge.objects.count() == 1 and ledger_discrepancies() == []


def test_an_upgrade_the_wallet_cannot_pay_changes_nothing(make_running):
    gid, (chair, _treasurer, _member), _ids = make_running(funded="100.00")
    refused = change(chair, gid, "premium")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "insufficient_funds"
    assert SavingsGroup.objects.get(pk=gid).plan == "free" and not PlanCharge.objects.exists()


def test_groups_from_before_plans_keep_every_feature_for_ninety_days(running):
    gid, (_chair, _treasurer, member), _ids = running
    SavingsGroup.objects.filter(pk=gid).update(plan_paid="free", plan_paid_through=None)  # as before plans
    migration = importlib.import_module("groups.migrations.0007_grandfather_plans")
    migration.grandfather(django_apps, None)
    group = SavingsGroup.objects.get(pk=gid)
    assert (group.plan, group.plan_paid) == ("free", "premium")  # nobody is billed without choosing
    assert member.get(f"groups/{gid}/plan/").json()["effective_plan"] == "premium"
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert member.get(f"groups/{gid}/plan/").json()["effective_plan"] == "free"
        assert bill_plans() == 0


def test_ledger_check_sees_a_month_billed_twice(running):
    gid, (chair, _treasurer, _member), _ids = running
    assert change(chair, gid, "standard").status_code == 200
    assert ledger_discrepancies() == []
    group = SavingsGroup.objects.get(pk=gid)
    charge = PlanCharge.objects.get()
    post_for_group(  # what a bug billing the month again would post
        group=group,
        kind=TransactionKind.FEE,
        legs=[
            Leg(get_wallet(user_id=chair.user.pk, currency="KES"), Decimal("-500.00")),
            Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency="KES"), Decimal("500.00")),
        ],
        idempotency_key="tampered",
        what="again",
        plan="standard",
        period=charge.period,
    )
    assert any("billed 2 time(s)" in p for p in ledger_discrepancies())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_billing_jobs_at_once_bill_the_month_once(running):
    gid, (chair, _treasurer, _member), _ids = running
    assert change(chair, gid, "standard").status_code == 200
    next_month = SavingsGroup.objects.get(pk=gid).plan_paid_through + timedelta(days=1)
    moment = timezone.datetime.combine(next_month, timezone.datetime.min.time()).replace(hour=9, tzinfo=NAIROBI)
    with time_machine.travel(moment):
        results = run_threads(2, lambda _: bill_plans())
    assert sorted(results) == [0, 1] and PlanCharge.objects.count() == 2
    assert ledger_discrepancies() == []
