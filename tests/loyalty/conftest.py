"""Loyalty fixtures: tenants, customers, budgets and rewards made directly (tenants and customers as rows, inside
their tenant's context, so row-level security holds on PostgreSQL), and the books checked after a money test."""

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from loyalty.models import Budget, Customer, Reward, RewardType, StaffRole, Tenant, TenantStaff
from loyalty.services import budgets as budget_services
from loyalty.services.budgets import budget_discrepancies, create_budget
from loyalty.services.rewards import add_voucher_codes, create_reward
from loyalty.tenancy import tenant_context
from payments import ledger_checks
from payments.selectors import ledger_discrepancies
from tests.factories import UserFactory

LEDGER_CHECK_NAME = "loyalty_budgets"


def within(tenant: Tenant) -> AbstractContextManager[None]:
    """The tenant's transaction: every loyalty call and every read of loyalty rows in a test goes in one."""
    return tenant_context(tenant.pk)


def make_tenant(creator=None, *, currency: str = "KES", time_zone: str = "Africa/Nairobi", **fields: Any) -> Tenant:
    creator = creator or UserFactory()
    tenant_id = uuid.uuid4()
    with tenant_context(tenant_id):
        tenant = Tenant.objects.create(
            id=tenant_id,
            name=fields.pop("name", f"Shop {tenant_id.hex[:6]}"),
            currency=currency,
            time_zone=time_zone,
            created_by=creator,
            **fields,
        )
        TenantStaff.objects.create(tenant=tenant, user=creator, role=StaffRole.ADMIN)
    return tenant


def make_customer(tenant: Tenant, phone: str | None = None, **fields: Any) -> Customer:
    with within(tenant):
        return Customer.objects.create(tenant=tenant, phone=phone or f"+2547{uuid.uuid4().int % 10**8:08d}", **fields)


def make_budget(tenant: Tenant, total: str = "1000.00", **fields: Any) -> Budget:
    options: dict[str, Any] = {"name": "Rewards", "period": "none", "hard_cap": True, **fields}
    with within(tenant):
        return create_budget(tenant=tenant, total_amount=Decimal(total), currency=tenant.currency, **options)


def make_reward(tenant: Tenant, budget: Budget, *, cost: str = "10.00", **fields: Any) -> Reward:
    options: dict[str, Any] = {
        "name": "10% off",
        "reward_type": RewardType.DISCOUNT,
        "discount_kind": "percent",
        "value": "10",
        **fields,
    }
    with within(tenant):
        return create_reward(tenant=tenant, cost=cost, budget_id=budget.pk, **options)


def make_voucher(tenant: Tenant, budget: Budget, codes: list[str], *, cost: str = "10.00", **fields: Any) -> Reward:
    reward = make_reward(
        tenant,
        budget,
        cost=cost,
        name="Voucher",
        reward_type=RewardType.VOUCHER,
        discount_kind="",
        value="50",
        **fields,
    )
    with within(tenant):
        add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=codes)
    return reward


@pytest.fixture
def shop_admin(db):
    return UserFactory()


@pytest.fixture
def tenant(shop_admin) -> Tenant:
    return make_tenant(shop_admin)


@pytest.fixture
def customer(tenant) -> Customer:
    return make_customer(tenant, "+254700000001")


@pytest.fixture
def budget(tenant) -> Budget:
    return make_budget(tenant)


@pytest.fixture
def loyalty_ledger_check(monkeypatch) -> None:
    """The budget check registered with the ledger's checks, as LoyaltyConfig.ready registers it."""
    monkeypatch.setitem(ledger_checks._checks._items, LEDGER_CHECK_NAME, budget_discrepancies)


@pytest.fixture
def books_clean(loyalty_ledger_check) -> Iterator[None]:
    """Use as the last fixture of a money test: after it the books must balance, budgets included."""
    yield
    assert budget_discrepancies() == []
    assert ledger_discrepancies() == []


@pytest.fixture
def notified(monkeypatch) -> list[dict[str, Any]]:
    """Every notification the loyalty services write, as the keyword arguments of `notify`."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(budget_services, "notify", lambda **kwargs: sent.append(kwargs))
    return sent
