"""The demo world `make run` loads (`seed_demo`), built only through the apps' services so the ledger is what real
use would have left, and idempotent: once its chama exists, a second run only prints the logins again.

What it holds (dates relative to today, in each group's zone):

- Wallets funded through the Paystack sandbox (a charge opened, paid at the sandbox, verified, credited): KES for
  the Kenyans, NGN for the Nigerians, both for Amina.
- "Umoja chama" (KES 2,000 a month, five members, join order, Standard plan so it can lend): Amina chairs,
  Wanjiru is treasurer, Baraka secretary, Kamau and Chidi members; everyone paid the KES 200 registration fee.
  Cycle 1 (due ~6 weeks ago) was paid by all and paid out to Amina; cycle 2 (due ~2 weeks ago) was paid by four,
  Kamau's share is late with a KES 100 penalty and the cycle's payout waits for it; cycle 3 is due in ~2 weeks.
- "Akiba savings chama" (scheme `savings`, KES 1,000 a month, top-ups allowed): Wanjiru chairs, Amina and Baraka
  save; two months saved by all, and a KES 5,000 top-up by Amina.
- "Balogun market ajo" (NGN 10,000 a week, NGN 5,000 security deposit, a verifiable random draw): Chidi chairs,
  Ngozi, Tunde and Funke; deposits paid, started today, the first due date in a week.
- A bill: Amina bought NGN 500 of MTN airtime for VTPass's sandbox number (delivered after commit).
- "Duka la Mama" loyalty tenant (KES): Zawadi is its admin; a KES 10,000 budget; two rewards and two rules;
  three customers, one of whom already earned a reward.

Time travel: a group cannot start with its first due date in the past (`start_group` refuses), and penalties,
payouts and plan bills depend on the date, so the past weeks are lived through with the clock moved
(time-machine, a development dependency; `seed_demo` runs only with DEBUG on): each step runs at its own date and
hour, as the scheduled jobs would have. Only the ajo starts today, so its rotation is still ahead.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings

from accounts.demo import DEMO_PIN, MEMBER_PASSWORD, STAFF_EMAIL, STAFF_PASSWORD, STAFF_TOTP_SECRET, person
from accounts.models import User
from billpay.models import Biller
from billpay.services import place_order
from contributions.models import Contribution
from contributions.services import (
    assess_penalties,
    bill_plans,
    change_plan,
    pay_contribution,
    pay_group_dues,
    run_payouts,
    top_up_savings,
)
from core.clock import local_today
from groups.models import Membership, SavingsGroup
from groups.services import change_member, create_group, join_group, start_group
from loyalty.models import Tenant
from loyalty.services.budgets import create_budget
from loyalty.services.customers import create_customer
from loyalty.services.events import ingest_event
from loyalty.services.rewards import create_reward
from loyalty.services.rules import create_rule
from loyalty.tenancy import tenant_context
from payments.models import SandboxPayment
from payments.providers.sandbox import complete_payment
from payments.services import start_deposit
from payments.services.deposits import verify_charge

NAIROBI = ZoneInfo("Africa/Nairobi")
LAGOS = ZoneInfo("Africa/Lagos")

CHAMA = "Umoja chama"
SAVINGS = "Akiba savings chama"
AJO = "Balogun market ajo"
TENANT = "Duka la Mama"
AIRTIME_NUMBER = "08011111111"  # VTPass's sandbox number that is always delivered
LOYALTY_CUSTOMERS = [("+254700100001", "wanjiku"), ("+254700100002", "otieno"), ("+254700100003", "akinyi")]

FUNDING = {
    "amina": {"KES": "60000.00", "NGN": "50000.00"},
    "wanjiru": {"KES": "30000.00"},
    "baraka": {"KES": "30000.00"},
    "kamau": {"KES": "30000.00"},
    "chidi": {"KES": "20000.00", "NGN": "200000.00"},
    "ngozi": {"NGN": "100000.00"},
    "tunde": {"NGN": "100000.00"},
    "funke": {"NGN": "100000.00"},
}


@contextmanager
def _at(day: date, hour: int, tz: ZoneInfo = NAIROBI) -> Iterator[None]:
    """The clock stopped at `hour` o'clock of `day` in `tz` (time-machine is a development dependency)."""
    import time_machine

    with time_machine.travel(datetime.combine(day, time(hour)).replace(tzinfo=tz), tick=False):
        yield


def _membership(group: SavingsGroup, key: str) -> Membership:
    return Membership.objects.select_related("group", "user").get(group=group, user=person(key))


def _contribution(group: SavingsGroup, key: str, number: int) -> Contribution:
    return Contribution.objects.get(cycle__group=group, cycle__number=number, membership__user=person(key))


def fund_wallet(user: User, amount: str, currency: str) -> None:
    """A deposit as a member makes one: a Paystack charge, paid at the sandbox's checkout, then verified with the
    provider (what reconciliation does), which credits the wallet. The sandbox's webhook follows after commit and
    finds the charge settled already."""
    charge = start_deposit(user=user, amount=Decimal(amount), currency=currency, provider="paystack")
    record = SandboxPayment.objects.get(provider="paystack", kind="charge", reference=charge.reference)
    complete_payment(record=record, outcome="success")
    outcome = verify_charge(charge=charge)
    if outcome != "credited":
        raise RuntimeError(f"demo deposit for {user.email} was not credited: {outcome}")


def _create_chama(*, start: date) -> SavingsGroup:
    chama = create_group(
        creator=person("amina"),
        fields={
            "name": CHAMA,
            "kind": "chama",
            "currency": "KES",
            "contribution_amount": Decimal("2000.00"),
            "frequency": "monthly",
            "start_date": start,
            "time_zone": "Africa/Nairobi",
            "payout_order": "join",
            "grace_days": 3,
            "registration_fee": Decimal("200.00"),
            "service_fee_percent": Decimal("1.00"),
            "penalty_kind": "flat",
            "penalty_amount": Decimal("100.00"),
            "penalty_recurrence": "once",
            "default_policy": "payout_waits",
            "rules": "Contributions by the due date, three days' grace; KES 100 penalty for a late contribution.",
        },
    )
    for key in ("wanjiru", "baraka", "kamau", "chidi"):
        join_group(user=person(key), invite_code=chama.invite_code)
    for key in ("amina", "wanjiru", "baraka", "kamau", "chidi"):
        pay_group_dues(membership=_membership(chama, key))
    chair = _membership(chama, "amina")
    change_member(actor=chair, membership=_membership(chama, "wanjiru"), role="treasurer")
    change_member(actor=chair, membership=_membership(chama, "baraka"), role="secretary")
    change_plan(actor=_membership(chama, "amina"), plan="standard", billing="chair_wallet")  # loans need a paid plan
    return start_group(actor=_membership(chama, "amina"))


def _create_savings_group(*, start: date) -> SavingsGroup:
    group = create_group(
        creator=person("wanjiru"),
        fields={
            "name": SAVINGS,
            "kind": "chama",
            "scheme": "savings",
            "allow_top_ups": True,
            "currency": "KES",
            "contribution_amount": Decimal("1000.00"),
            "frequency": "monthly",
            "start_date": start,
            "time_zone": "Africa/Nairobi",
            "grace_days": 3,
            "service_fee_percent": Decimal("1.00"),
            "rules": "We save KES 1,000 a month and share out the pot, with what loans earned, after a year.",
        },
    )
    for key in ("amina", "baraka"):
        join_group(user=person(key), invite_code=group.invite_code)
    return start_group(actor=_membership(group, "wanjiru"))


def _create_ajo(*, today: date) -> SavingsGroup:
    ajo = create_group(
        creator=person("chidi"),
        fields={
            "name": AJO,
            "kind": "ajo",
            "currency": "NGN",
            "contribution_amount": Decimal("10000.00"),
            "frequency": "weekly",
            "start_date": today + timedelta(days=7),
            "time_zone": "Africa/Lagos",
            "payout_order": "random",
            "grace_days": 2,
            "security_deposit": Decimal("5000.00"),
            "service_fee_percent": Decimal("1.00"),
            "penalty_kind": "flat",
            "penalty_amount": Decimal("500.00"),
            "penalty_recurrence": "once",
            "default_policy": "deposit_covers",
        },
    )
    for key in ("ngozi", "tunde", "funke"):
        join_group(user=person(key), invite_code=ajo.invite_code)
    for key in ("chidi", "ngozi", "tunde", "funke"):
        pay_group_dues(membership=_membership(ajo, key))
    return start_group(actor=_membership(ajo, "chidi"))


def _create_loyalty_tenant() -> Tenant:
    from loyalty.services.tenants import create_tenant

    zawadi = person("zawadi")
    tenant = create_tenant(creator=zawadi, name=TENANT, currency="KES", time_zone="Africa/Nairobi")
    with tenant_context(tenant.pk, user_id=zawadi.pk):
        budget = create_budget(
            tenant=tenant,
            name="Rewards this year",
            total_amount="10000.00",
            currency="KES",
            period="none",
            hard_cap=True,
        )
        discount = create_reward(
            tenant=tenant,
            name="10% off your next basket",
            reward_type="discount",
            discount_kind="percent",
            value="10",
            cost="50.00",
            budget_id=budget.pk,
            validity_days=30,
        )
        sukuma = create_reward(
            tenant=tenant,
            name="A free bunch of sukuma wiki",
            reward_type="item",
            value="40.00",
            cost="30.00",
            budget_id=budget.pk,
            validity_days=14,
            stock=100,
        )
        purchase = {"==": [{"var": "event.type"}, "purchase"]}
        create_rule(
            tenant=tenant,
            name="A basket of KES 1,000 or more earns 10% off the next",
            conditions={"and": [purchase, {">=": [{"var": "event.data.amount"}, 1000]}]},
            reward_id=discount.pk,
            priority=10,
        )
        create_rule(
            tenant=tenant,
            name="A first visit earns free sukuma, once",
            conditions={"==": [{"var": "event.type"}, "first_visit"]},
            reward_id=sukuma.pk,
            priority=20,
            caps={"per_customer": {"count": 1, "period": "all"}},
        )
        for phone, ref in LOYALTY_CUSTOMERS:
            create_customer(tenant=tenant, phone=phone, external_ref=ref)
        ingest_event(
            tenant=tenant,
            actor=f"user:{zawadi.pk}",
            customer=LOYALTY_CUSTOMERS[0][0],
            event_type="purchase",
            event_data={"amount": 1800, "till": "front"},
            idempotency_key="demo-first-basket",
        )
    return tenant


def build_world(*, stdout: TextIO) -> None:
    if not settings.PROVIDERS_SANDBOX:
        stdout.write("Demo world skipped: it is funded through the provider sandboxes (PROVIDERS_SANDBOX is off).\n")
        return
    if not SavingsGroup.objects.filter(name=CHAMA).exists():
        _build(stdout=stdout)
    print_logins(stdout=stdout)


def _build(*, stdout: TextIO) -> None:
    today = local_today(NAIROBI)
    start = today - relativedelta(months=1) - timedelta(days=14)  # cycle 1 due ~6 weeks ago, cycle 2 ~2 weeks ago
    second_due = start + relativedelta(months=1)

    with _at(start - timedelta(days=3), 10):  # the groups form and start
        for key, wallets in FUNDING.items():
            for currency, amount in wallets.items():
                fund_wallet(person(key), amount, currency)
        chama = _create_chama(start=start)
        savings = _create_savings_group(start=start)

    with _at(start, 8):  # cycle 1: everyone pays on the due date
        for key in ("amina", "wanjiru", "baraka", "kamau", "chidi"):
            pay_contribution(membership=_membership(chama, key), contribution=_contribution(chama, key, 1))
        for key in ("wanjiru", "amina", "baraka"):
            pay_contribution(membership=_membership(savings, key), contribution=_contribution(savings, key, 1))
    with _at(start, 10):  # the payouts job: cycle 1 to Amina, first in join order
        run_payouts(group=chama)

    with _at(start + timedelta(days=10), 12):
        top_up_savings(membership=_membership(savings, "amina"), amount=Decimal("5000.00"))

    with _at(second_due - timedelta(days=2), 10):  # cycle 2: four pay early; Kamau does not
        bill_plans()
        for key in ("amina", "wanjiru", "baraka", "chidi"):
            pay_contribution(membership=_membership(chama, key), contribution=_contribution(chama, key, 2))
        for key in ("wanjiru", "amina", "baraka"):
            pay_contribution(membership=_membership(savings, key), contribution=_contribution(savings, key, 2))

    late_night = second_due + timedelta(days=chama.grace_days + 1)
    with _at(late_night, 1):  # the penalties job, the night after the grace days
        assess_penalties(group=chama)
        assess_penalties(group=savings)
    with _at(late_night, 10):  # the payouts job: cycle 2 waits for Kamau's share (the group's default policy)
        run_payouts(group=chama)
        bill_plans()

    # today, on the real clock
    bill_plans()
    _create_ajo(today=local_today(LAGOS))
    if Biller.objects.filter(slug="mtn").exists():
        place_order(user=person("amina"), biller="mtn", customer_id=AIRTIME_NUMBER, amount="500")
    _create_loyalty_tenant()
    stdout.write(f"Demo world loaded: {CHAMA}, {SAVINGS}, {AJO}, an airtime bill and the loyalty tenant {TENANT}.\n")


def world_ids() -> dict[str, Any]:
    """What the tour and the printed logins need to find in the world."""
    tenant = Tenant.objects.filter(name=TENANT).order_by("created_at").first()
    groups = dict(SavingsGroup.objects.filter(name__in=[CHAMA, SAVINGS, AJO]).values_list("name", "pk"))
    return {
        "chama": groups.get(CHAMA),
        "savings": groups.get(SAVINGS),
        "ajo": groups.get(AJO),
        "tenant": tenant.pk if tenant else None,
    }


def print_logins(*, stdout: TextIO) -> None:
    ids = world_ids()
    rows = [
        ("chair", "amina@pamoja.local", f"chairs {CHAMA} ({ids['chama']}); saves in {SAVINGS}; KES and NGN wallets"),
        ("treasurer", "wanjiru@pamoja.local", f"treasurer of {CHAMA}; chairs {SAVINGS} ({ids['savings']})"),
        ("secretary", "baraka@pamoja.local", f"secretary of {CHAMA}"),
        ("member", "kamau@pamoja.local", f"member of {CHAMA}: cycle 2 late, a KES 100 penalty owed"),
        ("ajo chair", "chidi@pamoja.local", f"chairs {AJO} ({ids['ajo']}); member of {CHAMA}"),
        ("merchant admin", "zawadi@pamoja.local", f"admin of the loyalty tenant {TENANT} ({ids['tenant']})"),
    ]
    stdout.write("\nDemo logins (password for every member: " + MEMBER_PASSWORD + f", transaction PIN {DEMO_PIN}):\n")
    for role, email, what in rows:
        stdout.write(f"  {role:<15} {email:<22} {what}\n")
    stdout.write(
        f"  {'finance staff':<15} {STAFF_EMAIL:<22} password {STAFF_PASSWORD}, two-factor secret {STAFF_TOTP_SECRET}\n"
    )
    stdout.write("  ajo members: ngozi@, tunde@, funke@pamoja.local\n\n")
