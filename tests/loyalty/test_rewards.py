"""Rewards: validation by field, voucher code uploads (counts, duplicates, limits), free codes, item stock and the
low-stock alert (once, again after replenishing)."""

from decimal import Decimal

import pytest

from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError, LoyaltyStateError, RewardUnavailableError
from loyalty.models import Budget, Reward, RewardType, VoucherCode
from loyalty.services.issuances import cancel_issuance, issue_reward
from loyalty.services.rewards import (
    MAX_CODES_PER_UPLOAD,
    add_voucher_codes,
    create_reward,
    free_codes,
    parse_codes_csv,
    restock_reward,
)
from tests.loyalty.conftest import make_budget, make_reward, make_tenant, make_voucher, within

D = Decimal


def reward_options(budget, **fields):
    return {
        "name": "Coffee",
        "reward_type": "discount",
        "discount_kind": "percent",
        "value": "10",
        "cost": "5.00",
        "budget_id": budget.pk,
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": "100.01"}, "value"),
        ({"value": "0"}, "value"),
        ({"value": "12.345"}, "value"),
        ({"discount_kind": ""}, "discount_kind"),
        ({"discount_kind": "bogof"}, "discount_kind"),
        ({"discount_kind": "amount", "value": "0.001"}, "value"),
        ({"reward_type": "points", "discount_kind": "", "value": "10.5"}, "value"),
        ({"reward_type": "points", "discount_kind": "", "value": "0"}, "value"),
        ({"reward_type": "voucher"}, "discount_kind"),  # a voucher with a discount kind
        ({"reward_type": "item", "discount_kind": ""}, "stock"),  # an item without stock
        ({"reward_type": "voucher", "discount_kind": "", "stock": 5}, "stock"),
        ({"reward_type": "raffle"}, "reward_type"),
        ({"cost": "-1"}, "cost"),
        ({"cost": "1.005"}, "cost"),
        ({"cost": 1.5}, "cost"),
        ({"validity_days": 0}, "validity_days"),
        ({"name": ""}, "name"),
        ({"budget_id": 999_999}, "budget"),
        ({"budget_id": "nope"}, "budget"),
        ({"campaign_id": 999_999}, "campaign"),
    ],
)
def test_create_reward_refuses_bad_input_naming_the_field(tenant, budget, fields, field):
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        create_reward(tenant=tenant, **reward_options(budget, **fields))
    assert field in caught.value.details, caught.value.details
    assert caught.value.code == "validation_error"
    with within(tenant):
        assert not Reward.objects.exists()


def test_every_problem_is_reported_at_once(tenant, budget):
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        create_reward(tenant=tenant, **reward_options(budget, value="150", cost="x", name=""))
    assert set(caught.value.details) == {"value", "cost", "name"}


def test_another_tenants_budget_cannot_be_used(tenant):
    other = make_tenant()
    foreign = make_budget(other)
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        create_reward(tenant=tenant, **reward_options(foreign))
    assert "budget" in caught.value.details


def test_a_budget_in_another_currency_cannot_be_used(tenant):
    with within(tenant):  # written directly: the service never makes one
        odd = Budget.objects.create(tenant=tenant, name="Naira", currency="NGN", total_amount=0)
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        create_reward(tenant=tenant, **reward_options(odd))
    assert "budget" in caught.value.details


@pytest.mark.parametrize(
    ("fields", "value"),
    [
        ({}, D("10.00")),
        ({"discount_kind": "amount", "value": "150.50"}, D("150.50")),
        ({"reward_type": "points", "discount_kind": "", "value": 200}, D("200")),
        ({"reward_type": "item", "discount_kind": "", "value": "0", "stock": 3}, D("0")),
        ({"reward_type": "voucher", "discount_kind": "", "value": "500.00", "validity_days": 30}, D("500.00")),
    ],
)
def test_create_reward_keeps_what_it_was_given(tenant, budget, fields, value):
    with within(tenant):
        reward = create_reward(tenant=tenant, **reward_options(budget, **fields), terms="One per visit.")
        stored = Reward.objects.get(pk=reward.pk)
    assert stored.value == value and stored.cost == D("5.00") and stored.budget_id == budget.pk
    assert stored.terms == "One per visit."


# --- codes -------------------------------------------------------------------------------------------------------


def test_parse_codes_csv_reads_one_code_a_line():
    data = '\ufeffcode\r\nAAA-1\r\n\r\n  BBB-2  \nCCC-3,extra column\n"DD,4"\nAAA-1\n'.encode()
    assert parse_codes_csv(data) == ["AAA-1", "BBB-2", "CCC-3", "DD,4", "AAA-1"]


def test_parse_codes_csv_without_header():
    assert parse_codes_csv(b"X1\nX2") == ["X1", "X2"]
    assert parse_codes_csv(b"") == []


def test_parse_codes_csv_refuses_what_is_not_text():
    with pytest.raises(LoyaltyInputError) as caught:
        parse_codes_csv(b"\xff\xfe\x00A")
    assert "file" in caught.value.details


def test_uploading_codes_counts_duplicates_in_the_upload_and_in_the_pool(tenant, budget):
    reward = make_voucher(tenant, budget, [])
    with within(tenant):
        assert add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["A", " B ", "", "A", "C", "  "]) == (3, 1)
        assert add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["C", "D", "D", "E", "a"]) == (3, 2)
        assert sorted(VoucherCode.objects.filter(reward=reward).values_list("code", flat=True)) == [
            "A",
            "B",
            "C",
            "D",
            "E",
            "a",
        ]
        assert free_codes(tenant=tenant, reward=reward) == 6


def test_the_same_code_may_be_in_two_rewards_pools(tenant, budget):
    first = make_voucher(tenant, budget, ["SAME"])
    second = make_voucher(tenant, budget, [])
    with within(tenant):
        assert add_voucher_codes(tenant=tenant, reward_id=second.pk, codes=["SAME"]) == (1, 0)
        assert free_codes(tenant=tenant, reward=first) == free_codes(tenant=tenant, reward=second) == 1


def test_a_code_over_64_characters_refuses_the_whole_upload(tenant, budget):
    reward = make_voucher(tenant, budget, [])
    with pytest.raises(LoyaltyInputError) as caught, within(tenant):
        add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["OK", "X" * 65])
    assert "codes" in caught.value.details and "entries 2" in caught.value.details["codes"][0]
    with within(tenant):
        assert add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["Y" * 64]) == (1, 0)
        assert free_codes(tenant=tenant, reward=reward) == 1


def test_an_upload_holds_at_most_ten_thousand_codes(tenant, budget):
    reward = make_voucher(tenant, budget, [])
    with pytest.raises(LoyaltyInputError), within(tenant):
        add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=(f"C{n}" for n in range(MAX_CODES_PER_UPLOAD + 1)))
    with within(tenant):
        codes = [f"C{n}" for n in range(MAX_CODES_PER_UPLOAD)]
        assert add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=codes) == (MAX_CODES_PER_UPLOAD, 0)
        assert free_codes(tenant=tenant, reward=reward) == MAX_CODES_PER_UPLOAD


def test_codes_belong_to_voucher_rewards_only(tenant, budget):
    reward = make_reward(tenant, budget)
    with pytest.raises(LoyaltyStateError) as caught, within(tenant):
        add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["A"])
    assert caught.value.status_code == 409 and "reward" in caught.value.details


def test_another_tenants_reward_is_not_found(tenant, budget):
    reward = make_voucher(tenant, budget, [])
    other = make_tenant()
    with pytest.raises(LoyaltyObjectNotFoundError), within(other):
        add_voucher_codes(tenant=other, reward_id=reward.pk, codes=["A"])


# --- low stock ---------------------------------------------------------------------------------------------------


def issue(tenant, customer, reward, capture):
    with capture(execute=True), within(tenant):
        return issue_reward(tenant=tenant, customer=customer, reward=reward, actor="rule:1")


def test_low_codes_alert_once_and_again_after_replenishing(
    tenant, budget, customer, notified, django_capture_on_commit_callbacks, books_clean
):
    reward = make_voucher(tenant, budget, ["A", "B", "C", "D", "E"])
    with within(tenant):
        Reward.objects.filter(pk=reward.pk).update(low_stock_threshold=2)
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)
    assert notified == []
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # 2 left
    assert [n["event"] for n in notified] == ["loyalty_reward_low_stock"]
    assert notified[0]["context"]["left"] == "2"
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # 1 left: alerted already
    assert len(notified) == 1
    with within(tenant):
        assert add_voucher_codes(tenant=tenant, reward_id=reward.pk, codes=["F", "G"]) == (2, 0)  # 3 left
        assert Reward.objects.get(pk=reward.pk).low_stock_alerted_at is None
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # 2 left again
    assert len(notified) == 2


def test_item_stock_runs_out_and_comes_back(
    tenant, budget, customer, notified, django_capture_on_commit_callbacks, books_clean
):
    reward = make_reward(tenant, budget, name="Mug", reward_type="item", discount_kind="", value="0", stock=3)
    with within(tenant):
        Reward.objects.filter(pk=reward.pk).update(low_stock_threshold=1)
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # 2 left
    assert notified == []
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # 1 left
    assert len(notified) == 1 and notified[0]["context"]["left"] == "1"
    last = issue(tenant, customer, reward, django_capture_on_commit_callbacks)  # none left
    assert len(notified) == 1
    assert last.code.isdigit() and len(last.code) == 6  # shown at the till to collect the item
    with pytest.raises(RewardUnavailableError) as caught:
        issue(tenant, customer, reward, django_capture_on_commit_callbacks)
    assert (caught.value.code, caught.value.status_code) == ("reward_unavailable", 409)
    with within(tenant):
        cancel_issuance(tenant=tenant, issuance_id=last.pk, actor="user:staff")
        assert Reward.objects.get(pk=reward.pk).stock == 1
    issue(tenant, customer, reward, django_capture_on_commit_callbacks)
    with within(tenant):
        restocked = restock_reward(tenant=tenant, reward_id=reward.pk, quantity=5)
    assert restocked.stock == 5 and restocked.low_stock_alerted_at is None
    with within(tenant):
        assert Reward.objects.get(pk=reward.pk).low_stock_alerted_at is None


def test_restock_is_for_items(tenant, budget):
    reward = make_reward(tenant, budget)
    with pytest.raises(LoyaltyInputError), within(tenant):
        restock_reward(tenant=tenant, reward_id=reward.pk, quantity=3)
    item = make_reward(tenant, budget, reward_type=RewardType.ITEM, discount_kind="", value="0", stock=0)
    with pytest.raises(LoyaltyInputError), within(tenant):
        restock_reward(tenant=tenant, reward_id=item.pk, quantity=0)
