"""Paying contributions (oldest first, never in part, ahead), penalties, payout policies, reminders and the jobs."""

from decimal import Decimal

import pytest

from contributions import services
from contributions.models import Contribution, ContributionReminder, Penalty
from contributions.tasks import dispatch_group_job, flag_inactive_groups
from groups.models import GroupStatus, SavingsGroup
from groups.tasks import cancel_stale_groups
from notifications.models import Notification
from payments.models import Charge
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.factories import pin_token
from tests.fixtures.groups import NAIROBI, at

pytestmark = pytest.mark.django_db

CHAMA = {
    "kind": "chama",
    "currency": "KES",
    "time_zone": "Africa/Nairobi",
    "contribution_amount": "1000.00",
    "security_deposit": "0.00",
    "registration_fee": "200.00",
    "penalty_kind": "none",
    "service_fee_percent": "1.00",
    "default_policy": "payout_waits",
}


def mine(person, gid, cycle):
    return next(c for c in person.contributions(gid) if c["cycle"] == cycle)


def balance(person, currency="NGN"):
    return get_wallet(user_id=person.user.pk, currency=currency).balance


def test_paying_ahead_settles_every_older_due_first(started_group, ledger_is_clean):
    with at("2026-12-01T10:00"):
        group, (_chair, other, third) = started_group(size=3, security_deposit="0.00")
        gid = group["id"]
        start = balance(other)
        answer = other.pay(mine(other, gid, 3)["id"])
        assert answer.status_code == 200, answer.json()
        assert answer.json()["total"] == "30000.00"
        assert [c["cycle"] for c in other.contributions(gid, status="paid")] == [1, 2, 3]
        assert balance(other) == start - Decimal("30000.00")
        assert other.pay(mine(other, gid, 2)["id"]).json()["error"]["code"] == "contribution_already_paid"
        # paying the oldest due settles only that one
        assert third.pay(mine(third, gid, 1)["id"]).json()["total"] == "10000.00"
        assert [c["status"] for c in third.contributions(gid)] == ["paid", "pending", "pending"]


def test_a_partial_payment_is_refused_and_changes_nothing(started_group, member):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=2, security_deposit="0.00", funded="15000.00")
        gid, payer = group["id"], people[1]
        answer = payer.pay(mine(payer, gid, 2)["id"])  # 20,000 due through cycle 2
        assert answer.status_code == 422
        assert answer.json()["error"]["code"] == "insufficient_funds"
        assert {c["status"] for c in payer.contributions(gid)} == {"pending"}
        assert balance(payer) == Decimal("15000.00")
        assert payer.pay(mine(payer, gid, 1)["id"]).status_code == 200


def test_nobody_pays_someone_elses_contribution_or_a_missing_one(started_group, member):
    with at("2026-12-01T10:00"):
        group, (chair, other) = started_group(size=2, security_deposit="0.00")
        theirs = mine(other, group["id"], 1)["id"]
        assert chair.pay(theirs).status_code == 404
        assert chair.pay(999999).json()["error"]["code"] == "contribution_not_found"
        assert chair.pay("abc").status_code == 404
        no_key = chair.post(f"contributions/{mine(chair, group['id'], 1)['id']}/pay/", {"source": "wallet"})
        assert no_key.json()["error"]["code"] == "idempotency_key_required"


def test_daily_penalties_post_once_per_day_up_to_the_cap(started_group):
    with at("2026-12-01T10:00"):
        group, (_chair, late) = started_group(
            size=2,
            security_deposit="0.00",
            penalty_kind="percent",
            penalty_amount="2.50",
            penalty_recurrence="daily",
            penalty_cap="1000.00",
            grace_days=1,
        )
    group_obj = SavingsGroup.objects.get(pk=group["id"])
    with at("2027-01-06T23:00"):  # the grace day: nothing yet
        assert services.assess_penalties(group=group_obj) == 0
    for day in (7, 7, 8, 8, 8):
        with at(f"2027-01-{day:02d}T01:00"):
            services.assess_penalties(group=group_obj)
    penalties = Penalty.objects.filter(membership__user=late.user).order_by("period")
    assert [(p.period, p.amount) for p in penalties] == [(1, Decimal("250.00")), (2, Decimal("250.00"))]
    assert Contribution.objects.get(pk=mine(late, group["id"], 1)["id"]).status == "late"
    with at("2027-01-20T01:00"):  # missed nights are caught up, and the cap holds
        services.assess_penalties(group=group_obj)
        services.assess_penalties(group=group_obj)
    assert sum(p.amount for p in Penalty.objects.filter(membership__user=late.user)) == Decimal("1000.00")
    assert Penalty.objects.filter(membership__user=late.user).count() == 4
    with at("2027-01-20T12:00"):  # paying settles the penalties first, then the contribution
        answer = late.pay(mine(late, group["id"], 1)["id"])
        assert answer.json()["total"] == "11000.00"
        assert [i["kind"] for i in answer.json()["settled"]] == ["penalty"] * 4 + ["contribution"]
    assert ledger_discrepancies() == []


def test_payout_waits_for_a_defaulter_when_the_policy_says_so(started_group, django_capture_on_commit_callbacks):
    with at("2026-12-01T10:00"):
        group, (chair, late, third) = started_group(size=3, security_deposit="0.00", default_policy="payout_waits")
        gid = group["id"]
        chair.pay(mine(chair, gid, 1)["id"])
        third.pay(mine(third, gid, 1)["id"])
    with at("2027-01-20T10:00"):
        dispatch_group_job.delay("payouts")
        assert chair.get("payouts/").json()["count"] == 0
        with django_capture_on_commit_callbacks(execute=True):
            assert late.pay(mine(late, gid, 1)["id"]).status_code == 200
        payouts = chair.get("payouts/").json()["results"]
        assert [(p["cycle"], p["amount"], p["fee"]) for p in payouts] == [(1, "29400.00", "600.00")]
    assert ledger_discrepancies() == []


def test_a_deposit_too_small_to_cover_leaves_the_payout_waiting(started_group):
    with at("2026-12-01T10:00"):
        group, (chair, late) = started_group(size=2, security_deposit="5000.00", default_policy="deposit_covers")
        chair.pay(mine(chair, group["id"], 1)["id"])
    with at("2027-01-10T10:00"):
        dispatch_group_job.delay("payouts")
    assert chair.get("payouts/").json()["count"] == 0
    assert mine(late, group["id"], 1)["status"] == "pending"


def test_mpesa_pays_a_contribution_straight_into_the_pot(started_group, django_capture_on_commit_callbacks):
    with at("2026-12-01T10:00"):
        group, (chair, payer) = started_group(size=2, **CHAMA)
        gid = group["id"]
        before = balance(payer, "KES")
        target = mine(payer, gid, 1)["id"]
        with django_capture_on_commit_callbacks(execute=True):
            answer = payer.post(
                f"contributions/{target}/pay/", {"source": "mpesa", "phone_number": "+254712345678"}, money=True
            )
        assert answer.status_code == 202, answer.json()
        assert answer.json()["status"] == "pending" and answer.json()["total"] == "1000.00"
        charge = Charge.objects.get(reference=answer.json()["deposit_reference"])
        assert charge.status == "succeeded"
        assert mine(payer, gid, 1)["status"] == "paid"
        assert balance(payer, "KES") == before  # in through M-Pesa, straight on to the pot
        assert chair.get(f"groups/{gid}/").json()["pot_balance"] == "1400.00"  # two registration fees + 1,000
        refused = payer.post(f"contributions/{target}/pay/", {"source": "mpesa", "phone_number": "0712"}, money=True)
        assert refused.status_code == 400
    assert ledger_discrepancies() == []


def test_a_chama_completes_and_shares_out_what_is_left_in_the_pot(started_group, django_capture_on_commit_callbacks):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=3, **CHAMA)
        gid = group["id"]
        before = sum(balance(p, "KES") for p in people)
        with django_capture_on_commit_callbacks(execute=True):
            for person in people:
                assert person.pay(mine(person, gid, 3)["id"]).status_code == 200
    for cycle_day in ("2027-01-05", "2027-02-05", "2027-03-05"):
        with at(f"{cycle_day}T10:00", NAIROBI):
            dispatch_group_job.delay("payouts")
    assert people[0].get(f"groups/{gid}/").json()["status"] == "completed"
    # `before` is after the 600 in registration fees; those come back shared out, and the three 1% payout fees
    # (30 on each 3,000 pot) are all the members lost
    assert sum(balance(p, "KES") for p in people) == before + Decimal("600.00") - Decimal("90.00")
    assert people[2].post(f"groups/{gid}/leave/").status_code == 204  # nothing left to refund
    assert sum(balance(p, "KES") for p in people) == before + Decimal("600.00") - Decimal("90.00")
    assert ledger_discrepancies() == []


def test_reminders_go_once_each_two_days_before_and_on_the_day(started_group):
    with at("2026-12-01T10:00"):
        group, (chair, other) = started_group(size=2, security_deposit="0.00")
        chair.pay(mine(chair, group["id"], 1)["id"])
    with at("2027-01-03T09:00"):
        dispatch_group_job.delay("reminders")
        dispatch_group_job.delay("reminders")
    with at("2027-01-05T09:00"):
        dispatch_group_job.delay("reminders")
    sent = ContributionReminder.objects.filter(contribution__cycle__group_id=group["id"])
    assert sorted((r.contribution.membership.user_id, r.kind) for r in sent) == sorted(
        [(other.user.pk, "due_soon"), (other.user.pk, "due_today")]
    )
    told = Notification.objects.filter(event__startswith="contribution_due_")
    assert sorted(told.values_list("user_id", "event")) == sorted(
        [(other.user.pk, "contribution_due_soon"), (other.user.pk, "contribution_due_today")]
    )


def test_jobs_run_at_the_local_hour_of_each_group(started_group):
    with at("2026-12-01T10:00"):
        started_group(size=2, security_deposit="0.00")
        started_group(size=2, **CHAMA)
    with at("2027-01-05T10:00"):  # 10:00 in Lagos is 12:00 in Nairobi
        assert dispatch_group_job("payouts") == 1
        assert dispatch_group_job("penalties") == 0
    with at("2027-01-05T10:00", NAIROBI):
        assert dispatch_group_job("payouts") == 1
    assert dispatch_group_job("payouts", every_zone=True) == 2


def test_groups_still_forming_after_30_days_are_cancelled_with_dues_refunded(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2)
        for person in people:
            person.post(f"groups/{group['id']}/dues/", money=True)
    with at("2026-12-20T10:00"):
        fresh, _ = forming_group(size=2)
        assert cancel_stale_groups() == 0
    with at("2027-01-04T10:00"):
        assert cancel_stale_groups() == 1
        assert cancel_stale_groups() == 0
    assert SavingsGroup.objects.get(pk=group["id"]).status == GroupStatus.CANCELLED
    assert SavingsGroup.objects.get(pk=fresh["id"]).status == GroupStatus.FORMING
    assert [balance(p) for p in people] == [Decimal("200000.00")] * 2
    assert ledger_discrepancies() == []


def test_quiet_groups_are_flagged_and_revived_ones_unflagged(started_group):
    with at("2026-12-01T10:00"):
        group, (chair, _other) = started_group(size=2, security_deposit="0.00")
    with at("2027-03-01T10:00"):
        assert flag_inactive_groups() == 1
        assert flag_inactive_groups() == 0
        assert SavingsGroup.objects.get(pk=group["id"]).flagged_inactive_at is not None
        chair.pay(mine(chair, group["id"], 1)["id"])
        flag_inactive_groups()
        assert SavingsGroup.objects.get(pk=group["id"]).flagged_inactive_at is None


def test_an_operator_runs_a_group_job_for_every_zone_now(started_group):
    import io

    from django.core.management import call_command

    with at("2026-12-01T10:00"):
        started_group(size=2, security_deposit="0.00")
    with at("2027-01-05T03:00"):  # no group is at 10:00 now
        out = io.StringIO()
        call_command("run_job", "contributions.payouts", stdout=out)
        assert "contributions.payouts: 0" in out.getvalue()
        call_command("run_job", "contributions.payouts", "--set", "every_zone=true", stdout=out)
        assert "contributions.payouts: 1" in out.getvalue()


def test_a_retried_payment_replays_its_first_answer_and_moves_money_once(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, other) = forming_group(size=2)
        gid = group["id"]
        for person in (chair, other):
            headers = {"HTTP_IDEMPOTENCY_KEY": f"dues-{person.user.pk}", "HTTP_X_PIN_TOKEN": pin_token(person.user)}
            first = person.api.post(f"/api/v1/groups/{gid}/dues/", {}, format="json", **headers)
            again = person.api.post(f"/api/v1/groups/{gid}/dues/", {}, format="json", **headers)
            assert first.status_code == again.status_code == 200
            assert again["Idempotent-Replayed"] == "true"
            assert balance(person) == Decimal("190000.00")
        assert chair.post(f"groups/{gid}/start/").status_code == 200
        target = mine(other, gid, 1)["id"]
        headers = {"HTTP_IDEMPOTENCY_KEY": "pay-once", "HTTP_X_PIN_TOKEN": pin_token(other.user)}
        path = f"/api/v1/contributions/{target}/pay/"
        first = other.api.post(path, {"source": "wallet"}, format="json", **headers)
        again = other.api.post(path, {"source": "wallet"}, format="json", **headers)
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
        assert balance(other) == Decimal("180000.00")
    assert ledger_discrepancies() == []
