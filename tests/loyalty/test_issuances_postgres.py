"""What only PostgreSQL can show: concurrent issuing and redeeming (row locks, SKIP LOCKED, the budget's guarded
accounts), and the budget check across tenants under row-level security. Each thread opens its own connection and
enters the tenant's context itself, as a request or a task does."""

from decimal import Decimal

import pytest

from loyalty.errors import BudgetExhaustedError, IssuanceStateError, RewardUnavailableError
from loyalty.models import Budget, Issuance, IssuanceState, VoucherCode
from loyalty.services.budgets import budget_discrepancies, budget_figures
from loyalty.services.issuances import issue_reward, redeem_issuance
from loyalty.tenancy import tenant_context
from payments.selectors import ledger_discrepancies
from tests.fixtures.threads import run_threads
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, make_voucher, within

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_twenty_customers_racing_for_five_codes_get_five_distinct_codes(loyalty_ledger_check):
    tenant = make_tenant()
    budget = make_budget(tenant, "1000.00")
    reward = make_voucher(tenant, budget, [f"CODE-{n}" for n in range(5)], cost="10.00")
    customers = [make_customer(tenant) for _ in range(20)]

    def claim(index: int) -> str:
        with tenant_context(tenant.pk):
            return issue_reward(tenant=tenant, customer=customers[index], reward=reward, actor="rule:1").code

    results = run_threads(20, claim)
    codes = [r for r in results if isinstance(r, str)]
    assert sorted(codes) == [f"CODE-{n}" for n in range(5)], results
    assert sum(isinstance(r, RewardUnavailableError) for r in results) == 15, results
    with within(tenant):
        assert Issuance.objects.count() == 5
        assert Issuance.objects.values("voucher").distinct().count() == 5
        assert not VoucherCode.objects.filter(issued_at__isnull=True).exists()
        assert budget_figures(tenant=tenant, budget=budget)["reserved"] == Decimal("50.00")
    assert budget_discrepancies() == []
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_racing_issuances_never_take_the_budget_below_zero(loyalty_ledger_check):
    tenant = make_tenant()
    budget = make_budget(tenant, "75.00")
    reward = make_reward(tenant, budget, cost="25.00")
    customer = make_customer(tenant)

    def claim(index: int) -> str:
        with tenant_context(tenant.pk):
            return issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1").state

    results = run_threads(10, claim)
    assert results.count(IssuanceState.ISSUED) == 3, results
    assert sum(isinstance(r, BudgetExhaustedError) for r in results) == 7, results
    with within(tenant):
        assert budget_figures(tenant=tenant, budget=budget)["available"] == 0
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_a_reward_redeemed_twice_at_once_is_redeemed_once(loyalty_ledger_check):
    tenant = make_tenant()
    budget = make_budget(tenant, "100.00")
    reward = make_reward(tenant, budget, cost="40.00")
    customer = make_customer(tenant)
    with within(tenant):
        issuance = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")

    def redeem(index: int) -> str:
        with tenant_context(tenant.pk):
            return redeem_issuance(
                tenant=tenant, issuance_id=issuance.pk, actor=f"user:{index}", code=issuance.code
            ).state

    results = run_threads(6, redeem)
    assert results.count(IssuanceState.REDEEMED) == 1, results
    assert sum(isinstance(r, IssuanceStateError) for r in results) == 5, results
    with within(tenant):
        assert budget_figures(tenant=tenant, budget=budget)["utilized"] == Decimal("40.00")
    assert budget_discrepancies() == []
    assert ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_the_budget_check_sees_every_tenant_and_leaves_the_callers_view_alone(loyalty_ledger_check):
    mine, theirs = make_tenant(), make_tenant()
    my_budget, their_budget = make_budget(mine, "10.00"), make_budget(theirs, "20.00")
    reward = make_reward(theirs, their_budget, cost="5.00")
    with within(theirs):
        issuance = issue_reward(tenant=theirs, customer=make_customer(theirs), reward=reward, actor="rule:1")
        Issuance.objects.filter(pk=issuance.pk).update(cost=Decimal("6.00"))
    with within(mine):
        assert list(Budget.objects.values_list("pk", flat=True)) == [my_budget.pk]
        problems = budget_discrepancies()
        assert len(problems) == 1 and f"loyalty budget {their_budget.pk}" in problems[0]
        # after the check this transaction still sees only its own tenant
        assert list(Budget.objects.values_list("pk", flat=True)) == [my_budget.pk]
    assert problems[0] in ledger_discrepancies()
    with within(theirs):
        Issuance.objects.filter(pk=issuance.pk).update(cost=Decimal("5.00"))
    assert ledger_discrepancies() == []
