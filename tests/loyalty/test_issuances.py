"""Issuances: the state machine (every move, legal and illegal), what issuing, redeeming, cancelling and expiring
do to the budget's money, codes and stock, and that a refused step keeps nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from loyalty.errors import (
    BudgetExhaustedError,
    IssuanceStateError,
    LoyaltyInputError,
    LoyaltyObjectNotFoundError,
    RewardUnavailableError,
)
from loyalty.jobs import expire_issuances
from loyalty.models import (
    Customer,
    CustomerStatus,
    Issuance,
    IssuanceState,
    IssuanceTransition,
    PointsEntry,
    Reward,
    VoucherCode,
)
from loyalty.services.budgets import budget_figures, reserve_cost
from loyalty.services.issuances import (
    TRANSITIONS,
    _move,
    can_transition,
    cancel_issuance,
    expire_due_issuances,
    issue_reward,
    redeem_issuance,
)
from payments.models import LedgerTransaction, TransactionKind
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, make_voucher, within

D = Decimal
S = IssuanceState
ALL_STATES = list(S.values)
LEGAL = {(S.RESERVED, S.ISSUED), (S.RESERVED, S.EXPIRED), (S.RESERVED, S.CANCELLED)} | {
    (S.ISSUED, S.REDEEMED),
    (S.ISSUED, S.EXPIRED),
    (S.ISSUED, S.CANCELLED),
}


def issue(tenant, customer, reward, actor="rule:7"):
    with within(tenant):
        return issue_reward(tenant=tenant, customer=customer, reward=reward, actor=actor)


def reload(tenant, issuance) -> Issuance:
    with within(tenant):
        return Issuance.objects.get(pk=issuance.pk)


def moves(tenant, issuance) -> list[tuple[str, str, str]]:
    with within(tenant):
        return list(IssuanceTransition.objects.filter(issuance=issuance).values_list("from_state", "to_state", "actor"))


def figures(tenant, budget):
    with within(tenant):
        return budget_figures(tenant=tenant, budget=budget)


def reserved_only(tenant, customer, reward) -> Issuance:
    """An issuance left `reserved` (what a channel that delivers later would hold), its cost reserved."""
    with within(tenant):
        issuance = Issuance.objects.create(
            tenant=tenant, customer=customer, reward=reward, cost=reward.cost, state=S.RESERVED
        )
        IssuanceTransition.objects.create(tenant=tenant, issuance=issuance, to_state=S.RESERVED, actor="rule:7")
        reserve_cost(tenant=tenant, budget=reward.budget, issuance=issuance)
    return issuance


@pytest.fixture
def reward(tenant, budget):
    return make_reward(tenant, budget, cost="25.00", validity_days=7)


# --- the machine -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("to_state", ALL_STATES)
@pytest.mark.parametrize("from_state", ALL_STATES)
def test_every_move_is_legal_only_if_the_machine_says_so(tenant, customer, reward, from_state, to_state):
    issuance = issue(tenant, customer, reward)
    with within(tenant):
        Issuance.objects.filter(pk=issuance.pk).update(state=from_state)
    before = moves(tenant, issuance)
    with within(tenant):
        issuance = Issuance.objects.get(pk=issuance.pk)
        if (from_state, to_state) in LEGAL:
            _move(issuance=issuance, to_state=to_state, actor="user:x")
            assert Issuance.objects.get(pk=issuance.pk).state == to_state
            assert IssuanceTransition.objects.filter(issuance=issuance).last().from_state == from_state
        else:
            with pytest.raises(IssuanceStateError) as caught:
                _move(issuance=issuance, to_state=to_state, actor="user:x")
            assert (caught.value.code, caught.value.status_code) == ("issuance_state", 409)
            assert Issuance.objects.get(pk=issuance.pk).state == from_state
    assert len(moves(tenant, issuance)) == len(before) + ((from_state, to_state) in LEGAL)
    assert can_transition(from_state, to_state) == ((from_state, to_state) in LEGAL)


def test_the_machine_has_no_other_moves():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


# --- issuing -----------------------------------------------------------------------------------------------------


def test_issuing_reserves_the_cost_and_records_reserved_then_issued(tenant, budget, customer, reward, books_clean):
    issuance = issue(tenant, customer, reward, actor="rule:7")
    assert issuance.state == S.ISSUED and issuance.cost == D("25.00")
    assert moves(tenant, issuance) == [("", S.RESERVED, "rule:7"), (S.RESERVED, S.ISSUED, "rule:7")]
    assert len(issuance.code) == 6 and issuance.code.isdigit()  # the one-time code shown at the till
    assert abs(issuance.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(seconds=5)
    posting = LedgerTransaction.objects.get(idempotency_key=f"loyalty-reserve:{issuance.pk}")
    assert posting.kind == TransactionKind.LOYALTY_RESERVE and posting.metadata["issuance"] == issuance.pk
    assert figures(tenant, budget)["reserved"] == D("25.00")
    assert figures(tenant, budget)["available"] == D("975.00")


def test_a_voucher_takes_one_code_of_the_pool_and_never_the_same_twice(tenant, budget, customer, books_clean):
    reward = make_voucher(tenant, budget, ["V1", "V2", "V3"])
    issued = [issue(tenant, customer, reward) for _ in range(3)]
    assert [i.code for i in issued] == ["V1", "V2", "V3"]
    with within(tenant):
        assert all(VoucherCode.objects.get(pk=i.voucher_id).issued_at is not None for i in issued)
    postings = LedgerTransaction.objects.count()
    with pytest.raises(RewardUnavailableError):
        issue(tenant, customer, reward)
    assert LedgerTransaction.objects.count() == postings
    with within(tenant):
        assert Issuance.objects.count() == 3


def test_a_points_reward_credits_the_points_and_is_delivered_at_once(tenant, budget, customer, books_clean):
    reward = make_reward(tenant, budget, cost="2.00", reward_type="points", discount_kind="", value=150)
    issuance = issue(tenant, customer, reward)
    assert issuance.state == S.REDEEMED and issuance.code == "" and issuance.expires_at is None
    assert [m[1] for m in moves(tenant, issuance)] == [S.RESERVED, S.ISSUED, S.REDEEMED]
    with within(tenant):
        assert Customer.objects.get(pk=customer.pk).points == 150
        entry = PointsEntry.objects.get(issuance=issuance)
    assert entry.amount == 150 and entry.expires_at is not None
    assert figures(tenant, budget)["utilized"] == D("2.00") and figures(tenant, budget)["reserved"] == 0


def test_a_free_reward_moves_no_money(tenant, budget, customer, books_clean):
    reward = make_reward(tenant, budget, cost="0")
    issuance = issue(tenant, customer, reward)
    with within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
    assert LedgerTransaction.objects.exclude(kind=TransactionKind.LOYALTY_TOPUP).count() == 0


def test_an_issuance_the_budget_refuses_keeps_nothing(tenant, customer, books_clean):
    budget = make_budget(tenant, "20.00")
    voucher = make_voucher(tenant, budget, ["ONLY"], cost="25.00")
    item = make_reward(tenant, budget, cost="25.00", reward_type="item", discount_kind="", value="0", stock=4)
    postings = LedgerTransaction.objects.count()
    for reward in (voucher, item):
        with pytest.raises(BudgetExhaustedError):
            issue(tenant, customer, reward)
    assert LedgerTransaction.objects.count() == postings
    with within(tenant):
        assert not Issuance.objects.exists() and not IssuanceTransition.objects.exists()
        assert VoucherCode.objects.get(code="ONLY").issued_at is None
        assert Reward.objects.get(pk=item.pk).stock == 4


def test_a_switched_off_reward_is_unavailable(tenant, customer, reward):
    with within(tenant):
        Reward.objects.filter(pk=reward.pk).update(active=False)
    with pytest.raises(RewardUnavailableError):
        issue(tenant, customer, reward)


@pytest.mark.parametrize("status", [CustomerStatus.SUSPENDED, CustomerStatus.OPTED_OUT])
def test_only_an_active_customer_gets_rewards(tenant, reward, status):
    customer = make_customer(tenant, status=status)
    with pytest.raises(LoyaltyInputError) as caught:
        issue(tenant, customer, reward)
    assert "customer" in caught.value.details


def test_another_tenants_customer_or_reward_is_not_found(tenant, customer, reward):
    other = make_tenant()
    stranger = make_customer(other)
    with pytest.raises(LoyaltyObjectNotFoundError):
        issue(tenant, stranger, reward)
    with pytest.raises(LoyaltyObjectNotFoundError), within(other):
        issue_reward(tenant=other, customer=stranger, reward=reward, actor="rule:1")


def test_an_actor_is_required(tenant, customer, reward):
    with pytest.raises(LoyaltyInputError):
        issue(tenant, customer, reward, actor=" ")


# --- redeeming ---------------------------------------------------------------------------------------------------


def test_redeeming_charges_the_cost_once(tenant, budget, customer, reward, books_clean):
    issuance = issue(tenant, customer, reward)
    with within(tenant):
        redeemed = redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till", code=issuance.code)
    assert redeemed.state == S.REDEEMED
    assert LedgerTransaction.objects.get(idempotency_key=f"loyalty-charge:{issuance.pk}").kind == "loyalty_charge"
    assert figures(tenant, budget) | {"used_this_period": 0} == {
        "total_amount": D("1000.00"),
        "reserved": D("0.00"),
        "utilized": D("25.00"),
        "available": D("975.00"),
        "used_this_period": 0,
    }
    postings, before = LedgerTransaction.objects.count(), moves(tenant, issuance)
    with pytest.raises(IssuanceStateError) as caught, within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
    assert caught.value.code == "issuance_state"
    assert LedgerTransaction.objects.count() == postings and moves(tenant, issuance) == before
    assert moves(tenant, issuance)[-1] == (S.ISSUED, S.REDEEMED, "user:till")


def test_a_wrong_code_redeems_nothing(tenant, customer, reward, books_clean):
    issuance = issue(tenant, customer, reward)
    wrong = f"{(int(issuance.code) + 1) % 10**6:06d}"
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till", code=wrong)
    assert "code" in caught.value.details
    assert reload(tenant, issuance).state == S.ISSUED
    assert not LedgerTransaction.objects.filter(idempotency_key=f"loyalty-charge:{issuance.pk}").exists()


def test_a_voucher_is_redeemed_with_its_own_code(tenant, budget, customer, books_clean):
    reward = make_voucher(tenant, budget, ["SHOP-1", "SHOP-2"])
    first, second = issue(tenant, customer, reward), issue(tenant, customer, reward)
    with pytest.raises(LoyaltyInputError), within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=first.pk, actor="user:till", code="SHOP-2")
    with within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=first.pk, actor="user:till", code=" SHOP-1 ")
        redeem_issuance(tenant=tenant, issuance_id=second.pk, actor="user:till")  # staff, by id
    assert reload(tenant, first).state == reload(tenant, second).state == S.REDEEMED


def test_a_reserved_issuance_cannot_be_redeemed(tenant, customer, reward, books_clean):
    issuance = reserved_only(tenant, customer, reward)
    with pytest.raises(IssuanceStateError), within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")


def test_an_issuance_past_its_time_cannot_be_redeemed(tenant, customer, reward, books_clean):
    issuance = issue(tenant, customer, reward)
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        pytest.raises(IssuanceStateError),
        within(tenant),
    ):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
    assert reload(tenant, issuance).state == S.ISSUED


def test_another_tenants_issuance_is_not_found(tenant, customer, reward):
    issuance = issue(tenant, customer, reward)
    other = make_tenant()
    with pytest.raises(LoyaltyObjectNotFoundError), within(other):
        redeem_issuance(tenant=other, issuance_id=issuance.pk, actor="user:till")
    with pytest.raises(LoyaltyObjectNotFoundError), within(other):
        cancel_issuance(tenant=other, issuance_id=issuance.pk, actor="user:till")
    assert reload(tenant, issuance).state == S.ISSUED


# --- cancelling and expiring -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reserved", [True, False])
def test_cancelling_releases_the_cost(tenant, budget, customer, reward, reserved, books_clean):
    issuance = reserved_only(tenant, customer, reward) if reserved else issue(tenant, customer, reward)
    with within(tenant):
        cancelled = cancel_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:staff", reason="typo")
    assert cancelled.state == S.CANCELLED
    assert moves(tenant, issuance)[-1] == (S.RESERVED if reserved else S.ISSUED, S.CANCELLED, "user:staff")
    assert LedgerTransaction.objects.get(idempotency_key=f"loyalty-release:{issuance.pk}").kind == "loyalty_release"
    assert figures(tenant, budget)["available"] == D("1000.00") and figures(tenant, budget)["reserved"] == 0


@pytest.mark.parametrize("state", [S.REDEEMED, S.CANCELLED, S.EXPIRED])
def test_what_is_over_cannot_be_cancelled(tenant, customer, reward, state, books_clean):
    issuance = issue(tenant, customer, reward)
    with within(tenant):
        if state == S.REDEEMED:
            redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
        elif state == S.CANCELLED:
            cancel_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:staff")
        else:
            expire_due_issuances(tenant=tenant, now=timezone.now() + timedelta(days=8))
    postings = LedgerTransaction.objects.count()
    with pytest.raises(IssuanceStateError), within(tenant):
        cancel_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:staff")
    with pytest.raises(IssuanceStateError), within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=issuance.pk, actor="user:till")
    assert LedgerTransaction.objects.count() == postings
    assert reload(tenant, issuance).state == state


def test_expiry_releases_what_is_due_and_only_that(tenant, budget, customer, books_clean):
    week = make_reward(tenant, budget, cost="10.00", validity_days=7)
    month = make_reward(tenant, budget, cost="10.00", validity_days=30)
    forever = make_reward(tenant, budget, cost="10.00")
    item = make_reward(
        tenant, budget, cost="10.00", validity_days=7, reward_type="item", discount_kind="", value="0", stock=5
    )
    voucher = make_voucher(tenant, budget, ["ONCE"], cost="10.00", validity_days=7)
    due = [issue(tenant, customer, week), reserved_only(tenant, customer, week)]
    with within(tenant):
        Issuance.objects.filter(pk=due[1].pk).update(expires_at=timezone.now() + timedelta(days=7))
    due += [issue(tenant, customer, item), issue(tenant, customer, voucher)]
    later = [issue(tenant, customer, month), issue(tenant, customer, forever)]
    redeemed = issue(tenant, customer, week)
    with within(tenant):
        redeem_issuance(tenant=tenant, issuance_id=redeemed.pk, actor="user:till")
    assert figures(tenant, budget)["reserved"] == D("60.00")

    now = timezone.now() + timedelta(days=7, seconds=1)
    with within(tenant):
        assert expire_due_issuances(tenant=tenant, now=now) == 4
        assert expire_due_issuances(tenant=tenant, now=now) == 0
        assert Reward.objects.get(pk=item.pk).stock == 5  # back on the shelf
        assert VoucherCode.objects.get(code="ONCE").issued_at is not None  # the customer has seen it
    assert [reload(tenant, i).state for i in due] == [S.EXPIRED] * 4
    assert [reload(tenant, i).state for i in later] == [S.ISSUED] * 2
    assert reload(tenant, redeemed).state == S.REDEEMED
    assert moves(tenant, due[0])[-1] == (S.ISSUED, S.EXPIRED, "job:expire_issuances")
    assert figures(tenant, budget)["reserved"] == D("20.00")


def test_the_expiry_job_works_through_every_tenant(tenant, budget, customer, books_clean):
    reward = make_reward(tenant, budget, cost="10.00", validity_days=1)
    other = make_tenant()
    other_reward = make_reward(other, make_budget(other), cost="10.00", validity_days=1)
    mine, theirs = issue(tenant, customer, reward), issue(other, make_customer(other), other_reward)
    assert expire_issuances() == 0
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert expire_issuances() == 2
        assert expire_issuances() == 0
    assert reload(tenant, mine).state == reload(other, theirs).state == S.EXPIRED
