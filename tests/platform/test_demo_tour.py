"""The demo world `make run` loads, and `make demo-tour` walking the README's "Try it" steps through it, in-process
(as CI runs it): the world is what the README promises, its books balance, a second load changes nothing, and the
tour passes and leaves the world as it found it."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from billpay.models import BillOrder
from config.services import seed_demo_data
from contributions.models import Contribution, Payout, Penalty, SavingsTopUp
from demo.tour import tour_in_process
from demo.world import AJO, CHAMA, SAVINGS, TENANT
from groups.models import Membership, SavingsGroup
from loyalty.models import Customer, Issuance, Reward, Rule, Tenant
from loyalty.tenancy import all_tenants
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet


@pytest.fixture
def demo_world(db, settings, providers_in_process, django_capture_on_commit_callbacks):
    """`seed_demo` as `make run` runs it: its after-commit work (the bill's purchase, the sandbox's webhooks)
    runs when the load ends."""
    settings.DEBUG = True
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_data(stdout=out)
    return out.getvalue()


def wallet(email: str, currency: str):
    return get_wallet(user_id=User.objects.get(email=email).pk, currency=currency).balance


def test_the_demo_world_is_what_the_readme_promises(demo_world):
    chama = SavingsGroup.objects.get(name=CHAMA)
    roles = dict(Membership.objects.filter(group=chama).values_list("user__email", "role"))
    assert chama.status == "active" and chama.plan == "standard" and len(roles) == 5
    assert roles["amina@pamoja.local"] == "chair"
    assert {roles["wanjiru@pamoja.local"], roles["baraka@pamoja.local"]} == {"treasurer", "secretary"}
    statuses = {
        (c.cycle.number, c.membership.user.first_name): c.status
        for c in Contribution.objects.filter(cycle__group=chama, cycle__number__lte=3).select_related("cycle")
    }
    assert {statuses[(1, name)] for name in ("Amina", "Wanjiru", "Baraka", "Kamau", "Chidi")} == {"paid"}
    assert statuses[(2, "Kamau")] == "late" and statuses[(2, "Amina")] == "paid"
    assert statuses[(3, "Amina")] == "pending"
    assert Payout.objects.filter(cycle__group=chama, cycle__number=1).count() == 1
    assert Penalty.objects.get(membership__group=chama).membership.user.email == "kamau@pamoja.local"

    savings = SavingsGroup.objects.get(name=SAVINGS)
    assert savings.scheme == "savings" and savings.status == "active"
    assert SavingsTopUp.objects.filter(membership__group=savings).count() == 1
    assert Contribution.objects.filter(cycle__group=savings, status="paid").count() == 6

    ajo = SavingsGroup.objects.get(name=AJO)
    assert ajo.kind == "ajo" and ajo.payout_order == "random" and ajo.status == "active"
    assert ajo.cycles.count() == 4 and all(c.recipient_id for c in ajo.cycles.all())

    assert wallet("amina@pamoja.local", "KES") > 0 and wallet("amina@pamoja.local", "NGN") > 0
    assert wallet("ngozi@pamoja.local", "NGN") > 0
    assert User.objects.exclude(is_staff=True).filter(pin_hash="").count() == 0
    order = BillOrder.objects.get(user__email="amina@pamoja.local")
    assert order.status == "delivered"

    with all_tenants():
        tenant = Tenant.objects.get(name=TENANT)
        assert Rule.objects.filter(tenant=tenant).count() == 2
        assert Reward.objects.filter(tenant=tenant).count() == 2
        assert Customer.objects.filter(tenant=tenant).count() == 3
        assert Issuance.objects.filter(tenant=tenant).count() == 1

    for login in ("amina@", "kamau@", "zawadi@", "admin@pamoja.local", "PIN 2468"):
        assert login in demo_world
    assert ledger_discrepancies() == []


def test_loading_it_again_changes_nothing_but_prints_the_logins(demo_world, django_capture_on_commit_callbacks):
    counts = (User.objects.count(), SavingsGroup.objects.count(), Contribution.objects.filter(status="paid").count())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=out)
    assert (User.objects.count(), SavingsGroup.objects.count()) == counts[:2]
    assert Contribution.objects.filter(status="paid").count() == counts[2]
    assert "amina@pamoja.local" in out.getvalue() and "zawadi@pamoja.local" in out.getvalue()


def test_the_tour_passes_and_leaves_the_world_as_it_was(demo_world):
    before = (wallet("amina@pamoja.local", "KES"), wallet("amina@pamoja.local", "NGN"))
    out = io.StringIO()
    steps = tour_in_process(out=out)
    assert len(steps) == 8, out.getvalue()
    assert "redeemed" in out.getvalue()
    assert (wallet("amina@pamoja.local", "KES"), wallet("amina@pamoja.local", "NGN")) == before
    assert ledger_discrepancies() == []


def test_demo_tour_command_runs_it(demo_world, settings):
    out = io.StringIO()
    call_command("demo_tour", stdout=out)
    assert "Demo tour passed: 8 steps." in out.getvalue()
