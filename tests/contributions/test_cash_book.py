"""Money officials record (cash, the group's own paybill or bank) is off-platform: it lives in the group's cash book
and never becomes e-money. A charge opened for one obligation settles what it was opened for, nothing more."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from contributions.models import Contribution
from contributions.services import cash_book_of
from contributions.services.payouts import _cover_from_deposits, run_payouts
from groups.models import Membership, SavingsGroup
from payments.errors import UnbalancedTransactionError
from payments.models import AccountKind, Charge, LedgerAccount, TransactionKind
from payments.selectors import ledger_discrepancies
from payments.services import Leg, get_house_account, get_wallet, post_transaction
from tests.fixtures.groups import CHAMA, NAIROBI, at

pytestmark = pytest.mark.django_db


def wallet(person) -> Decimal:
    return get_wallet(user_id=person.user.pk, currency="KES").balance


def record_and_confirm(maker, checker, gid, **payment):
    recorded = maker.post(f"groups/{gid}/payments/", {"paid_on": "2026-12-03", "method": "cash", **payment})
    if recorded.status_code != 201:
        return recorded
    return checker.post(f"groups/{gid}/payments/{recorded.json()['id']}/confirm/")


def test_two_officials_cannot_mint_wallet_money_with_a_huge_cash_payment(chama):
    """The attack: record 1,000,000 in cash for a member who owes 3,000, confirm it, withdraw the surplus."""
    gid, (chair, treasurer, member), ids = chama
    before = [wallet(p) for p in (chair, treasurer, member)]
    with at("2026-12-03T18:00", NAIROBI):
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="1000000.00",
            receipt_number="FAKE-1",
            applies_to="contribution",
        )
    assert answer.status_code == 422, answer.json()
    assert answer.json()["error"]["code"] == "recorded_amount_too_large"
    assert answer.json()["error"]["details"]["max"] == "3000.00"
    assert [wallet(p) for p in (chair, treasurer, member)] == before
    assert not LedgerAccount.objects.filter(kind=AccountKind.GROUP_CASH_BOOK).exclude(balance=0).exists()
    assert ledger_discrepancies() == []


def test_cash_beyond_whole_dues_stays_in_the_cash_book_never_in_the_wallet(chama):
    gid, (chair, treasurer, member), ids = chama
    before = wallet(member)
    with at("2026-12-03T18:00", NAIROBI):
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="2500.00",
            receipt_number="R-10",
            applies_to="contribution",
        )
        assert answer.status_code == 200, answer.json()
        assert answer.json()["status"] == "confirmed"
        assert [c["status"] for c in member.contributions(gid)] == ["paid", "paid", "pending"]
    assert wallet(member) == before
    group = SavingsGroup.objects.get(pk=gid)
    assert cash_book_of(group, "cash").balance == Decimal("2500.00")
    assert chair.get(f"groups/{gid}/").json()["pot_balance"] == "0.00"
    assert ledger_discrepancies() == []


def test_the_ledger_itself_refuses_cash_meeting_e_money(chama):
    gid, (_chair, _treasurer, member), _ids = chama
    group = SavingsGroup.objects.get(pk=gid)
    with pytest.raises(UnbalancedTransactionError):
        post_transaction(
            kind=TransactionKind.CONTRIBUTION,
            legs=[
                Leg(get_house_account(kind=AccountKind.OFF_PLATFORM, currency="KES", code="cash"), Decimal("-10.00")),
                Leg(get_wallet(user_id=member.user.pk, currency="KES"), Decimal("10.00")),
            ],
            idempotency_key="mint-attempt",
        )
    with pytest.raises(UnbalancedTransactionError):
        post_transaction(
            kind=TransactionKind.PAYOUT,
            legs=[
                Leg(cash_book_of(group, "cash"), Decimal("-10.00")),
                Leg(get_wallet(user_id=member.user.pk, currency="KES"), Decimal("10.00")),
            ],
            idempotency_key="mint-attempt-2",
        )


def test_a_cycle_paid_partly_in_cash_pays_e_money_from_the_pot_and_cash_from_the_cash_book(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        # the chair (cycle 1's recipient) and the treasurer pay from the wallet; the member pays cash
        for person in (chair, treasurer):
            mine = next(c for c in person.contributions(gid) if c["cycle"] == 1)
            assert person.pay(mine["id"]).status_code == 200
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="1000.00",
            receipt_number="R-20",
            applies_to="contribution",
        )
        assert answer.status_code == 200, answer.json()
    chair_before = wallet(chair)
    (payout,) = run_payouts(group=SavingsGroup.objects.get(pk=gid), today=date(2026, 12, 5))
    # 3,000 gross: 2,000 in e-money less the 1% fee on it reaches the wallet; 1,000 is cash, in the cash book
    assert (payout.gross_amount, payout.fee, payout.amount, payout.cash_amount) == (
        Decimal("3000.00"),
        Decimal("20.00"),
        Decimal("1980.00"),
        Decimal("1000.00"),
    )
    assert wallet(chair) == chair_before + Decimal("1980.00")
    assert chair.get(f"groups/{gid}/").json()["pot_balance"] == "0.00"
    group = SavingsGroup.objects.get(pk=gid)
    assert cash_book_of(group, "cash").balance == Decimal("1000.00")

    with at("2026-12-06T18:00", NAIROBI):
        # the cash leaves only as a recorded cash payout, maker-checker, never more than the book holds
        too_much = treasurer.post(
            f"groups/{gid}/payments/",
            {
                "membership": ids[chair],
                "amount": "1000.01",
                "method": "cash",
                "receipt_number": "OUT-1",
                "paid_on": "2026-12-06",
                "applies_to": "cash_payout",
            },
        )
        assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "recorded_amount_too_large"
        out = treasurer.post(
            f"groups/{gid}/payments/",
            {
                "membership": ids[chair],
                "amount": "1000.00",
                "method": "cash",
                "receipt_number": "OUT-1",
                "paid_on": "2026-12-06",
                "applies_to": "cash_payout",
            },
        )
        assert out.status_code == 201, out.json()
        assert treasurer.post(f"groups/{gid}/payments/{out.json()['id']}/confirm/").status_code == 409
        assert chair.post(f"groups/{gid}/payments/{out.json()['id']}/confirm/").status_code == 200
    assert cash_book_of(group, "cash").balance == Decimal("0.00")
    assert wallet(chair) == chair_before + Decimal("1980.00")
    assert ledger_discrepancies() == []


def test_two_cash_payouts_cannot_both_spend_the_same_cash(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="1000.00",
            receipt_number="R-30",
            applies_to="contribution",
        )
        pids = []
        for receipt in ("OUT-A", "OUT-B"):
            out = treasurer.post(
                f"groups/{gid}/payments/",
                {
                    "membership": ids[member],
                    "amount": "800.00",
                    "method": "cash",
                    "receipt_number": receipt,
                    "paid_on": "2026-12-03",
                    "applies_to": "cash_payout",
                },
            )
            assert out.status_code == 201, out.json()
            pids.append(out.json()["id"])
        assert chair.post(f"groups/{gid}/payments/{pids[0]}/confirm/").status_code == 200
        second = chair.post(f"groups/{gid}/payments/{pids[1]}/confirm/")
        assert second.status_code == 422 and second.json()["error"]["code"] == "insufficient_funds"
    assert cash_book_of(SavingsGroup.objects.get(pk=gid), "cash").balance == Decimal("200.00")
    assert ledger_discrepancies() == []


def test_ledger_check_sees_off_platform_money_that_reached_a_wallet(chama):
    """What the old hole left behind: a `group-cash` clearing account that funded a wallet."""
    _gid, (_chair, _treasurer, member), _ids = chama
    legacy = get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency="KES", code="group-cash")
    post_transaction(
        kind=TransactionKind.CONTRIBUTION,
        legs=[
            Leg(legacy, Decimal("-997000.00")),
            Leg(get_wallet(user_id=member.user.pk, currency="KES"), Decimal("997000.00")),
        ],
        idempotency_key="legacy-hole",
    )
    problems = ledger_discrepancies()
    assert any("group-cash" in p for p in problems), problems


def complete_stk(member, reference, capture):
    with capture(execute=True):
        done = member.api.post(f"/sandbox/mpesa/charges/{reference}/complete/", {"outcome": "success"}, format="json")
    assert done.status_code in (200, 202), done.content


def test_a_late_mpesa_callback_pays_what_it_was_opened_for_and_not_a_fine_levied_meanwhile(
    chama, django_capture_on_commit_callbacks
):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-03T10:00", NAIROBI):
        target = next(c for c in member.contributions(gid) if c["cycle"] == 1)["id"]
        started = member.post(
            f"contributions/{target}/pay/", {"source": "mpesa", "phone_number": "+254712345678"}, money=True
        )
        assert started.status_code == 202, started.json()
        assert started.json()["total"] == "1000.00"
        reference = started.json()["deposit_reference"]
        assert Charge.objects.get(reference=reference).status == "pending"
    with at("2026-12-03T10:01", NAIROBI):
        fine = chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "500.00", "reason": "Late"})
        assert fine.status_code == 201, fine.json()
        before = wallet(member)
        complete_stk(member, reference, django_capture_on_commit_callbacks)
        assert Charge.objects.get(reference=reference).status == "succeeded"
        # the contribution is paid; the fine is still owed; the wallet is where it was
        assert next(c for c in member.contributions(gid) if c["cycle"] == 1)["status"] == "paid"
        assert member.get(f"groups/{gid}/fines/").json()[0]["status"] == "owed"
        assert wallet(member) == before
    assert ledger_discrepancies() == []


def test_a_late_mpesa_callback_for_a_contribution_paid_meanwhile_leaves_the_money_in_the_wallet(
    chama, django_capture_on_commit_callbacks
):
    gid, (_chair, _treasurer, member), _ids = chama
    with at("2026-12-03T10:00", NAIROBI):
        target = next(c for c in member.contributions(gid) if c["cycle"] == 1)["id"]
        started = member.post(
            f"contributions/{target}/pay/", {"source": "mpesa", "phone_number": "+254712345678"}, money=True
        )
        reference = started.json()["deposit_reference"]
        assert member.pay(target).status_code == 200
        before = wallet(member)
        complete_stk(member, reference, django_capture_on_commit_callbacks)
        assert Charge.objects.get(reference=reference).status == "succeeded"
        assert wallet(member) == before + Decimal("1000.00")
        assert [c["status"] for c in member.contributions(gid)] == ["paid", "pending", "pending"]
    assert ledger_discrepancies() == []


def test_statements_show_e_money_and_cash_apart_and_together(chama):
    """Without time travel: statements read the database's own clock."""
    gid, (chair, treasurer, member), ids = chama
    today = timezone.now().astimezone(NAIROBI).date()
    window = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))}
    mine = member.contributions(gid)
    assert member.pay(mine[0]["id"]).status_code == 200
    answer = record_and_confirm(
        treasurer,
        chair,
        gid,
        membership=ids[member],
        amount="1500.00",
        receipt_number="R-40",
        applies_to="contribution",
        paid_on=str(today),
    )
    assert answer.status_code == 200, answer.json()

    statement = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window).json()
    assert [(m["amount"], m["e_money"], m["cash"]) for m in statement["movements"]] == [
        ("1000.00", "1000.00", "0.00"),
        ("1500.00", "0.00", "1500.00"),
    ]
    assert statement["closing_balance"] == "2500.00"
    assert statement["by_channel"] == {
        "e_money": {"opening": "0.00", "closing": "1000.00"},
        "cash": {"opening": "0.00", "closing": "1500.00"},
    }
    pot = treasurer.get(f"groups/{gid}/statement/", **window).json()
    assert pot["closing_balance"] == "2500.00"
    assert pot["by_channel"]["e_money"]["closing"] == chair.get(f"groups/{gid}/").json()["pot_balance"] == "1000.00"
    assert pot["by_channel"]["cash"]["closing"] == "1500.00"
    as_csv = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window, format="csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[0][-2:] == ["e_money", "cash"] and rows[2][-2:] == ["0.00", "1500.00"]
    assert ledger_discrepancies() == []


def test_cash_that_officials_record_backs_no_loan_of_e_money(chama):
    """Two officials could otherwise record fake cash savings for an accomplice and lend them the pot's e-money."""
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="3000.00",
            receipt_number="R-50",
            applies_to="contribution",
        )
        assert answer.status_code == 200, answer.json()
        refused = member.post(f"groups/{gid}/loans/", {"amount": "100.00", "term_months": 1, "purpose": "Stock"})
        assert refused.status_code == 409, refused.json()
        assert refused.json()["error"]["code"] == "loan_refused"
        assert refused.json()["error"]["details"]["limit"] == "0.00"


def test_a_share_a_deposit_covered_and_then_paid_in_cash_pays_out_from_the_pot(started_group):
    """The deposit put that share in the pot as e-money; the cash paid later stands in the cash book in place of
    the deposit. The payout takes the share from the pot, and nothing is left stranded there."""
    with at("2026-12-01T10:00", NAIROBI):
        group, (chair, treasurer, member) = started_group(
            size=3,
            funded="20000.00",
            **{**CHAMA, "kind": "ajo", "security_deposit": "1000.00", "default_policy": "deposit_covers"},
        )
        gid = group["id"]
        ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in (chair, treasurer, member)}
        chair.patch(f"groups/{gid}/members/{ids[treasurer]}/", {"role": "treasurer"})
        for person in (chair, treasurer):
            assert person.pay(next(c for c in person.contributions(gid) if c["cycle"] == 1)["id"]).status_code == 200
    group_obj = SavingsGroup.objects.get(pk=gid)
    owed = Contribution.objects.get(membership_id=ids[member], cycle__number=1)
    members = {m.pk: m for m in Membership.objects.filter(group=group_obj)}
    _cover_from_deposits(group=group_obj, unpaid=[owed], members=members)
    with at("2026-12-03T18:00", NAIROBI):
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="1000.00",
            receipt_number="R-60",
            applies_to="contribution",
        )
        assert answer.status_code == 200, answer.json()
    chair_before = wallet(chair)
    (payout,) = run_payouts(group=group_obj, today=date(2027, 1, 5))
    assert (payout.amount, payout.fee, payout.cash_amount) == (Decimal("2970.00"), Decimal("30.00"), Decimal("0"))
    assert wallet(chair) == chair_before + Decimal("2970.00")
    assert chair.get(f"groups/{gid}/").json()["pot_balance"] == "0.00"
    assert cash_book_of(group_obj, "cash").balance == Decimal("1000.00")
    assert ledger_discrepancies() == []


def test_cash_shares_of_a_completed_group_can_still_be_handed_out(chama):
    """The last payout completes the group; its cash share (and any unapplied cash) must still leave the book."""
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        for person in (chair, treasurer):
            for contribution in person.contributions(gid):
                assert person.pay(contribution["id"]).status_code == 200
        answer = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="3000.00",
            receipt_number="R-70",
            applies_to="contribution",
        )
        assert answer.status_code == 200, answer.json()
    group_obj = SavingsGroup.objects.get(pk=gid)
    for day in (date(2027, 1, 5), date(2027, 2, 5), date(2027, 3, 5)):
        run_payouts(group=group_obj, today=day)
    group_obj.refresh_from_db()
    assert group_obj.status == "completed"
    assert cash_book_of(group_obj, "cash").balance == Decimal("3000.00")
    with at("2027-03-06T18:00", NAIROBI):
        out = treasurer.post(
            f"groups/{gid}/payments/",
            {
                "membership": ids[member],
                "amount": "1000.00",
                "method": "cash",
                "receipt_number": "OUT-70",
                "paid_on": "2027-03-06",
                "applies_to": "cash_payout",
            },
        )
        assert out.status_code == 201, out.json()
        assert chair.post(f"groups/{gid}/payments/{out.json()['id']}/confirm/").status_code == 200
        # money in is refused once the group is over
        late = record_and_confirm(
            treasurer,
            chair,
            gid,
            membership=ids[member],
            amount="10.00",
            receipt_number="R-71",
            applies_to="contribution",
            paid_on="2027-03-06",
        )
        assert late.status_code == 409 and late.json()["error"]["code"] == "group_state"
    assert cash_book_of(group_obj, "cash").balance == Decimal("2000.00")
    assert ledger_discrepancies() == []
