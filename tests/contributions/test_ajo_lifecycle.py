"""A 5-member monthly ajo from creation to completion, driven through the API with the clock moved, the jobs
run the way beat runs them (the hourly dispatcher at the group's local hour), and the books proved after every step.
"""

from decimal import Decimal

import pytest

from contributions.tasks import dispatch_group_job
from groups import rotation
from payments.models import AccountKind, LedgerAccount
from payments.selectors import ledger_discrepancies
from payments.services import get_house_account, get_wallet
from tests.fixtures.groups import at

FUNDED = Decimal("200000.00")


def books_are_clean():
    assert ledger_discrepancies() == []


def income(kind):
    account = get_house_account(kind=kind, currency="NGN")
    return sum((e.amount for e in account.entries.all()), Decimal("0"))


def wallet(person):
    return get_wallet(user_id=person.user.pk, currency="NGN").balance


def run_job(job):
    dispatch_group_job.delay(job)
    books_are_clean()


@pytest.mark.django_db(transaction=False)
def test_five_member_ajo_runs_from_creation_to_completion(forming_group, django_capture_on_commit_callbacks):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=5)
        gid = group["id"]
        assert group["status"] == "forming" and len(group["seed_commitment"]) == 64
        for person in people:
            assert person.post(f"groups/{gid}/dues/", money=True).status_code == 200
        books_are_clean()
        started = people[0].post(f"groups/{gid}/start/")
        assert started.status_code == 200, started.json()
        assert started.json()["status"] == "active"

        # the draw recomputes from the revealed seed, which matches the commitment published at creation
        drawn = people[1].get(f"groups/{gid}/rotation/").json()
        assert rotation.commitment(drawn["seed"]) == group["seed_commitment"]
        tokens = [f"{p.user.pk}:1" for p in people]
        assert [entry["token"] for entry in drawn["order"]] == rotation.draw_order(tokens, drawn["seed"])
        by_user = {str(p.user.pk): p for p in people}
        recipient = {entry["cycle"]: by_user[entry["user"]] for entry in drawn["order"]}
        assert sorted(str(p.user.pk) for p in recipient.values()) == sorted(by_user)

    defaulter = recipient[5]  # misses cycle 2, the deposit covers it; pays it back (with the penalty) in cycle 3
    in_arrears = recipient[4]  # misses cycle 3 (covered) and their own cycle 4: paid net of all of it

    def pay_all(cycle, skip=()):
        for person in people:
            if person in skip:
                continue
            mine = [c for c in person.contributions(gid) if c["cycle"] == cycle]
            answer = person.pay(mine[0]["id"])
            assert answer.status_code == 200, answer.json()
        books_are_clean()

    # cycle 1: everyone pays before the due date; the pot goes out as soon as the last payment lands
    with at("2027-01-04T18:00"), django_capture_on_commit_callbacks(execute=True):
        pay_all(1)
    payout = recipient[1].get("payouts/", group=gid).json()["results"]
    assert [(p["cycle"], p["gross_amount"], p["fee"], p["amount"]) for p in payout] == [
        (1, "50000.00", "1000.00", "49000.00")
    ]

    # cycle 2: the defaulter does not pay; on the payout date (due + 2 days grace) the deposit covers the pot
    with at("2027-02-05T09:00"):
        pay_all(2, skip=[defaulter])
    with at("2027-02-07T10:00"):
        run_job("payouts")
    assert [c["status"] for c in defaulter.contributions(gid) if c["cycle"] == 2] == ["covered"]
    assert get_escrow(gid, defaulter).balance == Decimal("0.00")
    with at("2027-02-08T01:00"):
        for _ in range(3):  # penalised once however often the job runs
            run_job("penalties")
    assert defaulter.user.group_memberships.get().penalties.count() == 1

    # cycle 3: the defaulter's payment settles the penalty, refills the deposit, then pays cycle 3
    with at("2027-03-03T12:00"):
        mine = [c for c in defaulter.contributions(gid) if c["cycle"] == 3]
        answer = defaulter.pay(mine[0]["id"])
        assert answer.status_code == 200, answer.json()
        assert answer.json()["total"] == "20500.00"
        assert [item["kind"] for item in answer.json()["settled"]] == ["penalty", "contribution", "contribution"]
        assert get_escrow(gid, defaulter).balance == Decimal("10000.00")
        pay_all(3, skip=[defaulter, in_arrears])
    with at("2027-03-07T10:00"):
        run_job("payouts")
    with at("2027-03-08T01:00"):
        run_job("penalties")

    # cycle 4: the recipient in arrears pays nothing; they are paid net, and the payout says why
    with at("2027-04-05T09:00"):
        pay_all(4, skip=[in_arrears])
    with at("2027-04-06T10:00"):
        run_job("payouts")  # before the payout date the recipient may still pay their own share
    assert in_arrears.get("payouts/", group=gid).json()["count"] == 0
    with at("2027-04-07T10:00"):
        run_job("payouts")
    (net,) = in_arrears.get("payouts/", group=gid).json()["results"]
    assert (net["gross_amount"], net["fee"], net["deductions"], net["amount"]) == (
        "50000.00",
        "1000.00",
        "20500.00",
        "28500.00",
    )
    assert [d["kind"] for d in net["details"]] == ["contribution", "penalty", "deposit_refill"]
    assert {c["status"] for c in in_arrears.contributions(gid) if c["cycle"] <= 4} == {"paid"}

    # cycle 5: everyone pays; the last payout completes the group and the deposits come home
    with at("2027-05-05T09:00"):
        pay_all(5)
    with at("2027-05-05T10:00"):
        run_job("payouts")
    detail = people[0].get(f"groups/{gid}/").json()
    assert detail["status"] == "completed"
    assert detail["pot_balance"] == "0.00"

    cycles = people[0].get(f"groups/{gid}/cycles/").json()["results"]
    assert [(c["number"], c["status"], c["recipient"]) for c in cycles] == [
        (n, "paid_out", str(recipient[n].user.pk)) for n in range(1, 6)
    ]
    for n in range(1, 6):
        assert recipient[n].get("payouts/", group=gid).json()["results"][0]["cycle"] == n

    assert LedgerAccount.objects.filter(kind=AccountKind.GROUP_DEPOSIT_ESCROW, balance__gt=0).count() == 0
    fees, penalties = income(AccountKind.FEE_INCOME), income(AccountKind.PENALTY_INCOME)
    # five payout fees are Pamoja's; the two penalties (1,000) were the group's, shared out when it completed
    assert (fees, penalties) == (Decimal("5000.00"), Decimal("0"))
    # every naira is accounted for: what the members hold now is what they had less Pamoja's fees
    assert sum(wallet(p) for p in people) == 5 * FUNDED - Decimal("5000.00")
    books_are_clean()


def get_escrow(group_id, person):
    membership = person.user.group_memberships.get(group_id=group_id)
    account = LedgerAccount.objects.filter(
        kind=AccountKind.GROUP_DEPOSIT_ESCROW, owner_type="membership", owner_id=str(membership.pk)
    ).first()
    return account
