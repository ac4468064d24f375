"""Budgets: funding and top-ups in the ledger, the figures, hard and soft caps, periods in the tenant's zone,
the once-per-period alert, the tenant's postings, and the check that proves a budget's books."""

import logging
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from loyalty.errors import BudgetExhaustedError, LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import Budget, Issuance, IssuanceState, Tenant, TenantStaff
from loyalty.services.budgets import (
    budget_accounts_of,
    budget_discrepancies,
    budget_figures,
    budget_postings,
    create_budget,
    funding_account_of,
    period_bounds,
    top_up_budget,
)
from loyalty.services.issuances import cancel_issuance, issue_reward, redeem_issuance
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_house_account, post_transaction
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within

D = Decimal


def figures(tenant, budget):
    with within(tenant):
        return budget_figures(tenant=tenant, budget=budget)


def entries_sum(account: LedgerAccount) -> Decimal:
    return sum((entry.amount for entry in account.entries.all()), D("0"))


def cap(budget: Budget, total: str) -> None:
    """Lower a budget's cap below the money in it, as a budget update would (the money stays)."""
    with within_budget(budget):
        Budget.objects.filter(pk=budget.pk).update(total_amount=D(total))
        budget.refresh_from_db()


def within_budget(budget: Budget):
    return within(budget.tenant)


# --- creating and topping up -------------------------------------------------------------------------------------


def test_a_new_budget_is_funded_from_the_tenants_funding_account(tenant, books_clean):
    budget = make_budget(tenant, "1000.00")
    assert figures(tenant, budget) == {
        "total_amount": D("1000.00"),
        "reserved": D("0.00"),
        "utilized": D("0.00"),
        "available": D("1000.00"),
        "used_this_period": D("0"),
    }
    posting = LedgerTransaction.objects.get(idempotency_key=f"loyalty-budget-fund:{budget.pk}")
    assert posting.kind == TransactionKind.LOYALTY_TOPUP
    funding = funding_account_of(tenant=tenant, currency="KES")
    assert not funding.is_guarded and entries_sum(funding) == D("-1000.00")
    accounts = budget_accounts_of(budget=budget)
    assert accounts.available.is_guarded and accounts.reserved.is_guarded and accounts.spent.is_guarded
    assert (accounts.reserved.balance, accounts.spent.balance) == (0, 0)


def test_a_budget_of_zero_posts_nothing(tenant, books_clean):
    budget = make_budget(tenant, "0")
    assert figures(tenant, budget)["available"] == 0
    assert not LedgerTransaction.objects.filter(idempotency_key=f"loyalty-budget-fund:{budget.pk}").exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"currency": "NGN"}, "currency"),
        ({"total_amount": "1.005"}, "total_amount"),
        ({"total_amount": "-5"}, "total_amount"),
        ({"total_amount": 10.5}, "total_amount"),
        ({"period": "yearly"}, "period"),
        ({"name": "  "}, "name"),
        ({"soft_cap_threshold": "abc"}, "soft_cap_threshold"),
        ({"hard_cap": "yes"}, "hard_cap"),
    ],
)
def test_create_budget_refuses_bad_input_naming_the_field(tenant, fields, field):
    options = {
        "name": "Rewards",
        "total_amount": "100.00",
        "currency": "KES",
        "period": "none",
        "hard_cap": True,
        **fields,
    }
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        create_budget(tenant=tenant, **options)
    assert field in caught.value.details
    assert caught.value.status_code == 400
    with within(tenant):
        assert not Budget.objects.exists()
    assert LedgerTransaction.objects.count() == 0


def test_a_top_up_adds_money_and_raises_the_total(tenant, budget, books_clean):
    with within(tenant):
        topped = top_up_budget(tenant=tenant, budget_id=budget.pk, amount="250.50")
        top_up_budget(tenant=tenant, budget_id=budget.pk, amount=D("100.00"))
    assert topped.total_amount == D("1250.50")
    assert figures(tenant, budget)["total_amount"] == D("1350.50")
    assert figures(tenant, budget)["available"] == D("1350.50")
    assert LedgerTransaction.objects.filter(kind=TransactionKind.LOYALTY_TOPUP).count() == 3
    assert entries_sum(funding_account_of(tenant=tenant, currency="KES")) == D("-1350.50")


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "lots"])
def test_a_top_up_must_be_a_positive_amount(tenant, budget, amount):
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        top_up_budget(tenant=tenant, budget_id=budget.pk, amount=amount)
    assert "amount" in caught.value.details


def test_another_tenants_budget_is_not_found(tenant, budget):
    other = make_tenant()
    with pytest.raises(LoyaltyObjectNotFoundError), within(other):
        top_up_budget(tenant=other, budget_id=budget.pk, amount="10.00")
    assert figures(tenant, budget)["total_amount"] == D("1000.00")


# --- caps --------------------------------------------------------------------------------------------------------


def test_a_hard_cap_refuses_an_issuance_over_the_money_and_posts_nothing(tenant, customer, books_clean):
    budget = make_budget(tenant, "100.00")
    reward = make_reward(tenant, budget, cost="60.00")
    with within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    postings = LedgerTransaction.objects.count()
    with pytest.raises(BudgetExhaustedError) as caught, within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert (caught.value.code, caught.value.status_code) == ("budget_exhausted", 409)
    assert LedgerTransaction.objects.count() == postings
    with within(tenant):
        assert Issuance.objects.count() == 1
    assert figures(tenant, budget)["available"] == D("40.00")


def test_a_hard_cap_per_day_refuses_over_the_cap_and_rolls_at_local_midnight(tenant, customer, books_clean):
    budget = make_budget(tenant, "1000.00", period="daily")
    cap(budget, "100.00")
    reward = make_reward(tenant, budget, cost="40.00")
    nairobi = ZoneInfo("Africa/Nairobi")
    with time_machine.travel(datetime(2026, 3, 10, 23, 0, tzinfo=nairobi), tick=False):
        for _ in range(2):
            with within(tenant):
                issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        with pytest.raises(BudgetExhaustedError), within(tenant):
            issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        assert figures(tenant, budget)["used_this_period"] == D("80.00")
    # 21:30 UTC is already the next day in Nairobi (UTC+3)
    with time_machine.travel(datetime(2026, 3, 10, 21, 30, tzinfo=UTC), tick=False):
        assert figures(tenant, budget)["used_this_period"] == 0
        for _ in range(2):
            with within(tenant):
                issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        with pytest.raises(BudgetExhaustedError), within(tenant):
            issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert figures(tenant, budget)["reserved"] == D("160.00")


def test_a_released_issuance_frees_its_part_of_the_period(tenant, customer, books_clean):
    budget = make_budget(tenant, "1000.00", period="monthly")
    cap(budget, "50.00")
    reward = make_reward(tenant, budget, cost="50.00")
    with within(tenant):
        first = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    with pytest.raises(BudgetExhaustedError), within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    with within(tenant):
        cancel_issuance(tenant=tenant, issuance_id=first.pk, actor="user:staff")
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert figures(tenant, budget)["used_this_period"] == D("50.00")


def test_a_redeemed_issuance_still_counts_in_its_period(tenant, customer, books_clean):
    budget = make_budget(tenant, "1000.00", period="weekly")
    cap(budget, "50.00")
    reward = make_reward(tenant, budget, cost="50.00")
    with within(tenant):
        first = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        redeem_issuance(tenant=tenant, issuance_id=first.pk, actor="user:till")
    with pytest.raises(BudgetExhaustedError), within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")


def test_a_soft_cap_issues_over_the_cap_while_money_lasts(tenant, customer, books_clean):
    budget = make_budget(tenant, "100.00", hard_cap=False, period="daily")
    cap(budget, "30.00")
    reward = make_reward(tenant, budget, cost="40.00")
    with within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    with pytest.raises(BudgetExhaustedError), within(tenant):  # 20.00 left: the money, never the cap
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert figures(tenant, budget)["available"] == D("20.00")


def test_a_soft_cap_alerts_the_admins_once_per_period(
    tenant, customer, shop_admin, notified, django_capture_on_commit_callbacks, books_clean
):
    budget = make_budget(tenant, "1000.00", hard_cap=False, period="weekly", soft_cap_threshold="100.00")
    reward = make_reward(tenant, budget, cost="40.00")
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Africa/Nairobi"))

    def issue(times: int) -> None:
        for _ in range(times):
            with django_capture_on_commit_callbacks(execute=True), within(tenant):
                issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")

    with time_machine.travel(monday, tick=False):
        issue(2)  # 80: below the threshold
        assert notified == []
        issue(1)  # 120: reached
        assert len(notified) == 1
        issue(3)
        assert len(notified) == 1
    alert = notified[0]
    assert alert["user"] == shop_admin and alert["event"] == "loyalty_budget_low"
    assert alert["context"]["budget"] == budget.name
    with within(tenant):
        assert Budget.objects.get(pk=budget.pk).alerted_period == monday.replace(hour=0)
    with time_machine.travel(datetime(2026, 3, 15, 23, 0, tzinfo=ZoneInfo("Africa/Nairobi")), tick=False):
        issue(3)  # Sunday: still the same week
    assert len(notified) == 1
    with time_machine.travel(datetime(2026, 3, 16, 0, 30, tzinfo=ZoneInfo("Africa/Nairobi")), tick=False):
        issue(2)
        assert len(notified) == 1
        issue(1)  # Monday: a new week, a new alert
    assert len(notified) == 2


def test_a_soft_cap_without_a_threshold_alerts_at_its_total(
    tenant, customer, notified, django_capture_on_commit_callbacks, books_clean
):
    budget = make_budget(tenant, "100.00", hard_cap=False)
    reward = make_reward(tenant, budget, cost="50.00")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), within(tenant):
            issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert len(notified) == 1


def test_the_alert_is_a_warning_in_the_log_when_no_admin_can_be_told(
    tenant, customer, notified, django_capture_on_commit_callbacks, caplog, books_clean
):
    with within(tenant):
        TenantStaff.objects.filter(tenant=tenant).delete()
    budget = make_budget(tenant, "100.00", soft_cap_threshold="10.00")
    reward = make_reward(tenant, budget, cost="10.00")
    with (
        caplog.at_level(logging.WARNING, logger="pamoja.loyalty"),
        django_capture_on_commit_callbacks(execute=True),
        within(tenant),
    ):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert notified == []
    assert any("loyalty_budget_low" in record.getMessage() for record in caplog.records)


def test_a_refused_issuance_does_not_alert(tenant, customer, notified, django_capture_on_commit_callbacks):
    budget = make_budget(tenant, "10.00", soft_cap_threshold="5.00")
    reward = make_reward(tenant, budget, cost="20.00")
    with pytest.raises(BudgetExhaustedError), django_capture_on_commit_callbacks(execute=True), within(tenant):
        issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert notified == []
    with within(tenant):
        assert Budget.objects.get(pk=budget.pk).alerted_period is None


@pytest.mark.parametrize(
    ("period", "local", "start", "end"),
    [
        ("daily", (2026, 3, 10, 0, 0), (2026, 3, 10), (2026, 3, 11)),
        ("daily", (2026, 3, 10, 23, 59), (2026, 3, 10), (2026, 3, 11)),
        ("weekly", (2026, 3, 15, 23, 59), (2026, 3, 9), (2026, 3, 16)),  # Sunday
        ("weekly", (2026, 3, 16, 0, 0), (2026, 3, 16), (2026, 3, 23)),  # Monday
        ("monthly", (2026, 1, 31, 23, 0), (2026, 1, 1), (2026, 2, 1)),
        ("monthly", (2026, 12, 5, 8, 0), (2026, 12, 1), (2027, 1, 1)),
        ("monthly", (2028, 2, 29, 8, 0), (2028, 2, 1), (2028, 3, 1)),
    ],
)
def test_periods_are_in_the_tenants_zone_and_weeks_start_on_monday(period, local, start, end):
    zone = ZoneInfo("Africa/Lagos")
    tenant, budget = make_unsaved(zone.key, period)
    at = datetime(*local, tzinfo=zone).astimezone(UTC)
    assert period_bounds(tenant=tenant, budget=budget, at=at) == (
        datetime(*start, tzinfo=zone),
        datetime(*end, tzinfo=zone),
    )


def make_unsaved(time_zone: str, period: str):
    return Tenant(time_zone=time_zone, currency="NGN"), Budget(period=period, currency="NGN")


# --- the tenant's postings ---------------------------------------------------------------------------------------


def test_budget_postings_list_the_tenants_budget_entries_only(tenant, customer, books_clean):
    budget = make_budget(tenant, "100.00")
    reward = make_reward(tenant, budget, cost="25.00")
    with within(tenant):
        issuance = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
    other = make_tenant()
    make_budget(other, "999.00")
    with within(tenant):
        rows = list(budget_postings(tenant=tenant))
    seen = sorted((row.kind, row.account_kind, row.amount) for row in rows)
    assert seen == sorted(
        [
            (TransactionKind.LOYALTY_TOPUP, AccountKind.LOYALTY_BUDGET, D("100.00")),
            (TransactionKind.LOYALTY_RESERVE, AccountKind.LOYALTY_BUDGET, D("-25.00")),
            (TransactionKind.LOYALTY_RESERVE, AccountKind.LOYALTY_RESERVED, D("25.00")),
            (TransactionKind.LOYALTY_CHARGE, AccountKind.LOYALTY_RESERVED, D("-25.00")),
            (TransactionKind.LOYALTY_CHARGE, AccountKind.LOYALTY_SPENT, D("25.00")),
        ]
    )
    assert {row.budget for row in rows} == {budget.pk}
    assert all(row.transaction_id and row.created_at for row in rows)
    with within(other):
        assert {row.amount for row in budget_postings(tenant=other)} == {D("999.00")}


# --- the books ---------------------------------------------------------------------------------------------------


def test_the_budget_check_agrees_with_the_issuances(tenant, customer, books_clean):
    budget = make_budget(tenant, "500.00")
    reward = make_reward(tenant, budget, cost="30.00")
    with within(tenant):
        issued = [issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1") for _ in range(4)]
        redeem_issuance(tenant=tenant, issuance_id=issued[0].pk, actor="user:till")
        cancel_issuance(tenant=tenant, issuance_id=issued[1].pk, actor="user:staff")
        top_up_budget(tenant=tenant, budget_id=budget.pk, amount="50.00")
    assert figures(tenant, budget) | {"used_this_period": None} == {
        "total_amount": D("550.00"),
        "reserved": D("60.00"),
        "utilized": D("30.00"),
        "available": D("460.00"),
        "used_this_period": None,
    }
    assert budget_discrepancies() == []


def test_a_tampered_issuance_is_reported(tenant, customer, loyalty_ledger_check):
    budget = make_budget(tenant, "500.00")
    reward = make_reward(tenant, budget, cost="30.00")
    with within(tenant):
        first = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
        second = issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")
    assert budget_discrepancies() == []
    with within(tenant):
        Issuance.objects.filter(pk=first.pk).update(cost=D("35.00"))
    problems = budget_discrepancies()
    assert len(problems) == 1 and f"loyalty budget {budget.pk}: reserved holds 60.00" in problems[0]
    assert problems[0] in ledger_discrepancies()  # registered: ledger_check reports it too
    with within(tenant):
        Issuance.objects.filter(pk=first.pk).update(cost=D("30.00"))
        Issuance.objects.filter(pk=second.pk).update(state=IssuanceState.REDEEMED)  # redeemed without its charge
    problems = budget_discrepancies()
    assert len(problems) == 2
    assert any("reserved holds 60.00" in problem and "cost 30.00" in problem for problem in problems)
    assert any("spent holds 0.00" in problem for problem in problems)


def test_money_put_into_a_budget_from_elsewhere_is_reported(tenant, loyalty_ledger_check):
    budget = make_budget(tenant, "100.00")
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES")
    post_transaction(
        kind=TransactionKind.ADJUSTMENT,
        legs=[Leg(suspense, D("-5.00")), Leg(budget_accounts_of(budget=budget).available, D("5.00"))],
        idempotency_key="stray",
    )
    problems = budget_discrepancies()
    assert problems == [
        f"loyalty budget {budget.pk}: available 105.00 + reserved 0.00 + spent 0.00 KES is not what was put in, 100.00"
    ]
    everything = ledger_discrepancies()
    assert any("moves loyalty budget money into suspense" in problem for problem in everything)
    assert problems[0] in everything


def test_the_check_covers_every_tenant(tenant, customer, loyalty_ledger_check):
    other = make_tenant()
    budget = make_budget(other, "100.00")
    reward = make_reward(other, budget, cost="10.00")
    with within(other):
        issuance = issue_reward(tenant=other, customer=make_customer(other), reward=reward, actor="rule:1")
        Issuance.objects.filter(pk=issuance.pk).update(cost=D("11.00"))
    with within(tenant):  # called from inside another tenant's transaction, it still sees every budget
        assert len(budget_discrepancies()) == 1
