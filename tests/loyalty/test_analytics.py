"""Merchant analytics: the figures per day equal a direct count of the rows (days in the tenant's zone, so the
midnight boundary is the tenant's, not UTC's), rolled-up days and live days agree, another tenant's rows never count,
the API's roles and ranges, and a bounded number of queries whatever the range or the rows."""

import random
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from loyalty.errors import LoyaltyInputError
from loyalty.jobs import roll_up_yesterday
from loyalty.models import (
    Customer,
    DailyStats,
    Event,
    Issuance,
    IssuanceState,
    IssuanceTransition,
    RewardType,
    StaffRole,
    Tenant,
    TenantStaff,
)
from loyalty.services.analytics import MAX_DAYS, count_days, daily_figures, roll_up_day
from loyalty.services.issuances import cancel_issuance, issue_reward, redeem_issuance
from loyalty.services.rules import create_rule
from loyalty.services.tenants import create_api_key, request_signature
from loyalty.tenancy import all_tenants
from tests.factories import UserFactory
from tests.loyalty.conftest import make_budget, make_customer, make_reward, make_tenant, within

pytestmark = pytest.mark.django_db

NAIROBI = ZoneInfo("Africa/Nairobi")  # UTC+3: its midnight is 21:00 UTC the day before
LIMA = ZoneInfo("America/Lima")  # UTC-5
TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=NAIROBI)
FIRST = date(2026, 3, 4)
QUERIES_AT_MOST = 8  # stored days, four grouped counts, the upsert, the rules' and the rewards' names


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0, zone: ZoneInfo = NAIROBI) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def at(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=False)


class Shop:
    """A tenant with a discount reward and a points reward, a rule for each, and a way to add rows at a moment."""

    def __init__(self, zone: ZoneInfo, admin=None):
        self.zone = zone
        self.tenant = make_tenant(admin, time_zone=str(zone))
        budget = make_budget(self.tenant, total="100000.00")
        self.discount = make_reward(self.tenant, budget, cost="12.50", name="Ten off")
        self.points = make_reward(
            self.tenant, budget, cost="1.00", name="Points", reward_type=RewardType.POINTS, discount_kind="", value="5"
        )
        with within(self.tenant):
            self.discount_rule = create_rule(
                tenant=self.tenant, name="Big basket", conditions={"==": [1, 1]}, reward_id=self.discount.pk
            )
            self.points_rule = create_rule(
                tenant=self.tenant, name="Every visit", conditions={"==": [1, 1]}, reward_id=self.points.pk
            )

    def customer(self, moment: datetime) -> Customer:
        with at(moment):
            return make_customer(self.tenant)

    def event(self, customer: Customer, moment: datetime) -> Event:
        with within(self.tenant):
            return Event.objects.create(
                tenant=self.tenant,
                customer=customer,
                event_type="purchase",
                idempotency_key=uuid.uuid4().hex,
                occurred_at=moment,
            )

    def issue(self, customer: Customer, moment: datetime, *, points: bool = False, rule: bool = True) -> Issuance:
        reward = self.points if points else self.discount
        chosen = (self.points_rule if points else self.discount_rule) if rule else None
        with at(moment), within(self.tenant):
            return issue_reward(tenant=self.tenant, customer=customer, reward=reward, actor="rule:1", rule=chosen)

    def redeem(self, issuance: Issuance, moment: datetime) -> None:
        with at(moment), within(self.tenant):
            redeem_issuance(tenant=self.tenant, issuance_id=issuance.pk, actor="user:1")

    def cancel(self, issuance: Issuance, moment: datetime) -> None:
        with at(moment), within(self.tenant):
            cancel_issuance(tenant=self.tenant, issuance_id=issuance.pk, actor="user:1")

    def figures(self, start: date = FIRST, end: date = TODAY, now: datetime = NOW) -> Any:
        with within(self.tenant):
            return daily_figures(tenant=self.tenant, start=start, end=end, now=now)


def fill(shop: Shop, seed: int, first: date = FIRST) -> None:
    """Customers, events, issuances (both kinds, one without a rule), redemptions (some across midnight) and a
    cancellation over the days from `first` to today, with rows just either side of the tenant's midnights."""
    rng = random.Random(seed)
    zone = shop.zone
    now = NOW.astimezone(zone)
    span = (now - local(first, zone=zone)).total_seconds()

    def moment() -> datetime:
        return local(first, zone=zone) + timedelta(seconds=rng.uniform(0, span))

    people = [shop.customer(moment()) for _ in range(6)]
    for day in (first + timedelta(days=n) for n in range((TODAY - first).days)):
        people.append(shop.customer(local(day, 23, 59, 59, zone=zone)))
        people.append(shop.customer(local(day + timedelta(days=1), zone=zone)))
    for _ in range(40):
        shop.event(rng.choice(people), moment())
    for day in (first + timedelta(days=n) for n in range((TODAY - first).days)):
        shop.event(people[0], local(day, 23, 59, 59, zone=zone))
        shop.event(people[1], local(day + timedelta(days=1), zone=zone))
    given = []
    for n in range(18):
        when = moment()
        given.append((shop.issue(rng.choice(people), when, points=n % 3 == 0, rule=n != 5), when))
    # near midnight: given at 23:59:59, redeemed one second later, on the next local day
    eve = local(TODAY - timedelta(days=2), 23, 59, 59, zone=zone)
    late = shop.issue(people[2], eve)
    shop.redeem(late, eve + timedelta(seconds=1))
    for issuance, when in given:
        if issuance.reward_id == shop.discount.pk and rng.random() < 0.6:
            shop.redeem(issuance, min(when + timedelta(hours=rng.uniform(0, 40)), now))
    open_ones = [i for i, _ in given if i.reward_id == shop.discount.pk]
    with within(shop.tenant):
        still_issued = [i for i in open_ones if Issuance.objects.get(pk=i.pk).state == IssuanceState.ISSUED]
    shop.cancel(still_issued[0], now - timedelta(minutes=1))


def direct_count(shop: Shop, start: date, end: date) -> dict[str, Any]:
    """The same figures, counted in Python from every row of the tenant, each moment turned into its local day."""
    zone = shop.zone
    per_day: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"events": 0, "new_customers": 0, "issuances": 0, "redemptions": 0, "budget_used": Decimal("0.00")}
    )
    rules: Counter[int] = Counter()
    rewards: Counter[int] = Counter()
    with within(shop.tenant):
        for occurred in Event.objects.filter(tenant=shop.tenant).values_list("occurred_at", flat=True):
            per_day[occurred.astimezone(zone).date()]["events"] += 1
        for joined in Customer.objects.filter(tenant=shop.tenant).values_list("created_at", flat=True):
            per_day[joined.astimezone(zone).date()]["new_customers"] += 1
        for issuance in Issuance.objects.filter(tenant=shop.tenant):
            day = issuance.created_at.astimezone(zone).date()
            per_day[day]["issuances"] += 1
            if start <= day <= end:
                rewards[issuance.reward_id] += 1
                if issuance.rule_id:
                    rules[issuance.rule_id] += 1
        redeemed = IssuanceTransition.objects.filter(tenant=shop.tenant, to_state=IssuanceState.REDEEMED)
        for step in redeemed.select_related("issuance__reward"):
            day = step.at.astimezone(zone).date()
            per_day[day]["budget_used"] += step.issuance.cost
            if step.issuance.reward.reward_type != RewardType.POINTS:
                per_day[day]["redemptions"] += 1
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {
        "days": [{"day": day, **per_day[day]} for day in days],
        "rules": rules,
        "rewards": rewards,
    }


def as_counted(figures: Any) -> list[dict[str, Any]]:
    return [
        {
            "day": d.day,
            "events": d.events,
            "new_customers": d.new_customers,
            "issuances": d.issuances,
            "redemptions": d.redemptions,
            "budget_used": d.budget_used,
        }
        for d in figures.days
    ]


@pytest.fixture
def shops() -> tuple[Shop, Shop]:
    nairobi, lima = Shop(NAIROBI), Shop(LIMA)
    fill(nairobi, seed=1)
    fill(lima, seed=2, first=FIRST - timedelta(days=1))
    return nairobi, lima


def test_the_figures_equal_a_direct_count_and_the_completed_days_are_stored(shops):
    nairobi, _ = shops
    expected = direct_count(nairobi, FIRST, TODAY)
    first = nairobi.figures()
    assert as_counted(first) == expected["days"]
    assert sum(d["events"] for d in expected["days"]) > 50 and first.totals.redemptions > 3  # real data counted
    assert not any(d.rolled_up for d in first.days)
    with within(nairobi.tenant):
        stored = sorted(DailyStats.objects.filter(tenant=nairobi.tenant).values_list("day", flat=True))
    assert stored == [d["day"] for d in expected["days"] if d["day"] < TODAY]  # today is still moving: not stored

    again = nairobi.figures()
    assert as_counted(again) == expected["days"]
    assert [d.rolled_up for d in again.days] == [d.day < TODAY for d in again.days]

    totals = again.totals
    assert totals.events == sum(d["events"] for d in expected["days"])
    assert totals.issuances == sum(d["issuances"] for d in expected["days"])
    assert totals.redemptions == sum(d["redemptions"] for d in expected["days"])
    assert totals.budget_used == sum((d["budget_used"] for d in expected["days"]), Decimal("0.00"))
    assert totals.redemption_rate == round(totals.redemptions / totals.issuances, 4)
    assert {r.id: r.issuances for r in again.top_rules} == dict(expected["rules"])
    assert {r.id: r.issuances for r in again.top_rewards} == dict(expected["rewards"])
    assert {r.name for r in again.top_rules} == {"Big basket", "Every visit"}
    assert {r.reward_type for r in again.top_rewards} == {"discount", "points"}
    points = next(r for r in again.top_rewards if r.reward_type == "points")
    assert points.redemptions == 0  # delivered as given: never a redemption, though its cost is charged


def test_the_budget_used_is_what_the_budgets_were_charged(shops):
    """Over all time, the days' budget_used adds up to the budgets' spent account; a cancelled reward's cost,
    released, is not in it."""
    nairobi, _ = shops
    with within(nairobi.tenant):
        charged = sum(
            (i.cost for i in Issuance.objects.filter(tenant=nairobi.tenant, state=IssuanceState.REDEEMED)),
            Decimal("0.00"),
        )
        assert Issuance.objects.filter(tenant=nairobi.tenant, state=IssuanceState.CANCELLED).count() == 1
    assert nairobi.figures().totals.budget_used == charged


def test_the_day_is_the_tenants_own_not_utcs(db):
    shop = Shop(NAIROBI)
    someone = shop.customer(local(date(2026, 3, 1)))
    day = date(2026, 3, 8)
    # the same UTC date (the 8th, 20:59:59 and 21:00:00 UTC), two Nairobi days
    shop.event(someone, local(day, 23, 59, 59))
    shop.event(someone, local(day + timedelta(days=1)))
    shop.event(someone, local(day + timedelta(days=1), 0, 0, 1))
    given = shop.issue(someone, local(day, 23, 59, 59))
    shop.redeem(given, local(day + timedelta(days=1)))
    figures = shop.figures(day, day + timedelta(days=1))
    assert [(d.events, d.issuances, d.redemptions) for d in figures.days] == [(1, 1, 0), (2, 0, 1)]
    assert [d.budget_used for d in figures.days] == [Decimal("0.00"), Decimal("12.50")]
    assert figures.days[1].redemption_rate is None and figures.totals.redemption_rate == 1.0


def test_rolled_up_days_and_live_counting_agree(shops):
    nairobi, _ = shops
    live = nairobi.figures()
    with within(nairobi.tenant):
        for day in (FIRST + timedelta(days=n) for n in range((TODAY - FIRST).days)):
            roll_up_day(tenant=nairobi.tenant, day=day, now=NOW)
            roll_up_day(tenant=nairobi.tenant, day=day, now=NOW)  # twice: the same one row
        assert DailyStats.objects.filter(tenant=nairobi.tenant).count() == (TODAY - FIRST).days
        with pytest.raises(LoyaltyInputError):
            roll_up_day(tenant=nairobi.tenant, day=TODAY, now=NOW)  # not over yet
        counted = count_days(tenant=nairobi.tenant, first=FIRST, last=TODAY)
    rolled = nairobi.figures()
    assert (
        as_counted(rolled)
        == as_counted(live)
        == [{k: v for k, v in vars(d).items() if k not in ("top", "rolled_up")} for d in counted.values()]
    )
    assert [d.top for d in rolled.days] == [d.top for d in counted.values()]
    assert rolled.top_rules == live.top_rules and rolled.top_rewards == live.top_rewards


def test_a_late_event_counts_once_its_day_is_rolled_up_again(db):
    shop = Shop(NAIROBI)
    someone = shop.customer(local(date(2026, 3, 1)))
    yesterday = TODAY - timedelta(days=1)
    shop.event(someone, local(yesterday, 10))
    assert shop.figures(yesterday, yesterday).totals.events == 1  # stored now
    shop.event(someone, local(yesterday, 11))  # reported late
    assert shop.figures(yesterday, yesterday).totals.events == 1
    assert roll_up_yesterday(now=NOW) >= 2  # yesterday and the day before, for every tenant
    assert shop.figures(yesterday, yesterday).totals.events == 2


def test_another_tenants_rows_never_count(shops):
    nairobi, lima = shops
    lima_start = FIRST - timedelta(days=1)
    assert as_counted(lima.figures(lima_start)) == direct_count(lima, lima_start, TODAY)["days"]
    assert as_counted(nairobi.figures()) == direct_count(nairobi, FIRST, TODAY)["days"]
    assert {r.id for r in nairobi.figures().top_rewards} == {nairobi.discount.pk, nairobi.points.pk}
    with within(nairobi.tenant):  # the roll-up only ever sees its tenant's rows
        stats = list(DailyStats.objects.filter(tenant=nairobi.tenant))
    rewards_seen = {int(key) for row in stats for key in row.top["rewards"]}
    assert rewards_seen <= {nairobi.discount.pk, nairobi.points.pk}


def test_the_nightly_job_rolls_up_yesterday_for_every_tenant_and_may_run_twice(shops):
    nairobi, lima = shops
    assert roll_up_yesterday(now=NOW) == 2 * MAX_DAYS  # the first night: the last 366 days of both
    assert roll_up_yesterday(now=NOW) == 4  # then yesterday and the day before, for both
    with all_tenants():
        rows = {(row.tenant_id, row.day): row for row in DailyStats.objects.all()}
    lima_today = NOW.astimezone(LIMA).date()  # 04:00 in Lima: the 10th there too
    year = [TODAY - timedelta(days=n) for n in range(1, MAX_DAYS + 1)]
    assert set(rows) == {(nairobi.tenant.pk, day) for day in year} | {
        (lima.tenant.pk, lima_today - timedelta(days=n)) for n in range(1, MAX_DAYS + 1)
    }
    with within(nairobi.tenant):
        assert (
            as_counted(daily_figures(tenant=nairobi.tenant, start=FIRST, end=TODAY, now=NOW))
            == (direct_count(nairobi, FIRST, TODAY)["days"])
        )
    yesterday = TODAY - timedelta(days=1)
    expected = direct_count(nairobi, yesterday, yesterday)["days"][0]
    row = rows[(nairobi.tenant.pk, yesterday)]
    assert (row.events, row.new_customers, row.issuances, row.redemptions, row.budget_used) == (
        expected["events"],
        expected["new_customers"],
        expected["issuances"],
        expected["redemptions"],
        expected["budget_used"],
    )


def test_the_number_of_queries_is_bounded_whatever_the_range_and_the_rows(shops):
    nairobi, _ = shops
    counts = []
    for start, end in (
        (TODAY, TODAY),  # today only
        (TODAY - timedelta(days=MAX_DAYS - 1), TODAY),  # a year, cold
        (TODAY - timedelta(days=MAX_DAYS - 1), TODAY),  # a year, rolled up
        (FIRST, TODAY + timedelta(days=30)),  # into the future
    ):
        with within(nairobi.tenant), CaptureQueriesContext(connection) as queries:
            daily_figures(tenant=nairobi.tenant, start=start, end=end, now=NOW)
        counts.append(len(queries))
    # SQLite takes at most 999 parameters a statement: a year's upsert goes in four
    at_most = QUERIES_AT_MOST + (3 if connection.vendor == "sqlite" else 0)
    assert max(counts) <= at_most, counts
    empty = Shop(NAIROBI)
    with within(empty.tenant), CaptureQueriesContext(connection) as queries:
        daily_figures(tenant=empty.tenant, start=TODAY - timedelta(days=MAX_DAYS - 1), end=TODAY, now=NOW)
    assert len(queries) <= at_most  # no rows: no more (the names are not even asked for)


def test_the_range_defaults_and_its_limits(db):
    shop = Shop(NAIROBI)
    with within(shop.tenant):
        default = daily_figures(tenant=shop.tenant, now=NOW)
        assert (default.start, default.end) == (TODAY - timedelta(days=29), TODAY) and len(default.days) == 30
        only_start = daily_figures(tenant=shop.tenant, start=date(2025, 1, 1), now=NOW)
        assert (only_start.start, only_start.end) == (date(2025, 1, 1), date(2025, 1, 30))
        only_end = daily_figures(tenant=shop.tenant, end=date(2025, 1, 30), now=NOW)
        assert (only_end.start, only_end.end) == (date(2025, 1, 1), date(2025, 1, 30))
        year = daily_figures(tenant=shop.tenant, start=date(2024, 1, 1), end=date(2024, 12, 31), now=NOW)
        assert len(year.days) == MAX_DAYS and year.totals.redemption_rate is None
        with pytest.raises(LoyaltyInputError) as too_long:
            daily_figures(tenant=shop.tenant, start=date(2024, 1, 1), end=date(2025, 1, 1), now=NOW)
        assert "to" in too_long.value.details
        with pytest.raises(LoyaltyInputError) as backwards:
            daily_figures(tenant=shop.tenant, start=date(2025, 1, 2), end=date(2025, 1, 1), now=NOW)
        assert "from" in backwards.value.details


# --- the API ---------------------------------------------------------------------------------------------------


def url(tenant: Tenant) -> str:
    return f"/api/v1/loyalty/tenants/{tenant.pk}/analytics/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def viewer_of(tenant):
    user = UserFactory()
    with within(tenant):
        TenantStaff.objects.create(tenant=tenant, user=user, role=StaffRole.VIEWER)
    return user


def test_a_viewer_reads_the_figures(shops):
    nairobi, _ = shops
    with at(NOW):
        answer = client_for(viewer_of(nairobi.tenant)).get(url(nairobi.tenant), {"from": str(FIRST), "to": str(TODAY)})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    expected = direct_count(nairobi, FIRST, TODAY)["days"]
    assert body["from"] == str(FIRST) and body["to"] == str(TODAY) and body["time_zone"] == "Africa/Nairobi"
    assert body["currency"] == "KES"
    assert [(d["day"], d["events"], d["issuances"], d["redemptions"]) for d in body["days"]] == [
        (str(d["day"]), d["events"], d["issuances"], d["redemptions"]) for d in expected
    ]
    assert [d["budget_used"] for d in body["days"]] == [str(d["budget_used"]) for d in expected]
    assert body["totals"]["events"] == sum(d["events"] for d in expected)
    assert {r["name"] for r in body["top_rewards"]} == {"Ten off", "Points"}
    assert body["top_rules"][0]["issuances"] >= body["top_rules"][-1]["issuances"]
    with at(NOW):
        default = client_for(viewer_of(nairobi.tenant)).get(url(nairobi.tenant), {"from": "", "to": ""})
    assert default.status_code == 200 and len(default.json()["days"]) == 30  # an empty value is no value


def test_a_stranger_gets_not_found_and_an_api_key_is_refused(shops):
    nairobi, lima = shops
    stranger = client_for(UserFactory())
    answer = stranger.get(url(nairobi.tenant))
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    # staff of another tenant: as much a stranger here
    assert client_for(viewer_of(lima.tenant)).get(url(nairobi.tenant)).status_code == 404
    assert (
        client_for(viewer_of(nairobi.tenant)).get(f"/api/v1/loyalty/tenants/{uuid.uuid4()}/analytics/").status_code
        == 404
    )
    assert APIClient().get(url(nairobi.tenant)).status_code == 401
    with within(nairobi.tenant):
        key = create_api_key(tenant=nairobi.tenant, creator=UserFactory())
    stamp = str(int(time.time()))
    path = url(nairobi.tenant)
    signature = request_signature(secret=key.secret, timestamp=stamp, method="GET", path=path, body=b"")
    signed = APIClient().get(path, HTTP_X_API_KEY=key.key.key_id, HTTP_X_TIMESTAMP=stamp, HTTP_X_SIGNATURE=signature)
    assert signed.status_code == 403 and signed.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "1999-12-31"}, "from"),
        ({"to": "2101-01-01"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-09"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),  # 367 days
        ({"from": "2026-03-01\x00"}, "from"),
    ],
)
def test_bad_ranges_are_refused_naming_the_field(db, query, field):
    shop = Shop(NAIROBI)
    answer = client_for(viewer_of(shop.tenant)).get(url(shop.tenant), query)
    assert answer.status_code == 400, answer.json()
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]
    with within(shop.tenant):
        assert not DailyStats.objects.exists()  # nothing stored by a refused call
