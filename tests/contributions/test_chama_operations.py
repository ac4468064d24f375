"""Meetings and fines, payments recorded by officials (maker-checker), statements, health, the dashboard."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from contributions.models import Penalty
from contributions.services import run_payouts
from contributions.tasks import dispatch_group_job, send_weekly_summaries
from groups.models import SavingsGroup
from payments.models import LedgerEntry
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.factories import pin_token
from tests.fixtures.groups import NAIROBI, at

pytestmark = pytest.mark.django_db


def test_an_absence_fine_posts_once_however_often_the_meeting_is_saved(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-05T10:00", NAIROBI):
        meeting = chair.post(
            f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T14:00:00+03:00", "place": "Chair's house"}
        )
        assert meeting.status_code == 201, meeting.json()
        mid = meeting.json()["id"]
        assert member.post(f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T14:00:00+03:00"}).status_code == 403
    record = {
        "attendance": [
            {"membership": ids[chair], "status": "present"},
            {"membership": ids[treasurer], "status": "apology"},
            {"membership": ids[member], "status": "absent"},
        ],
        "minutes": "Agreed to buy a tent.",
    }
    with at("2026-12-06T17:00", NAIROBI):
        for _ in range(3):
            saved = treasurer.patch(f"groups/{gid}/meetings/{mid}/", record)
            assert saved.status_code == 200, saved.json()
        assert saved.json()["status"] == "held" and saved.json()["minutes"] == "Agreed to buy a tent."
        fines = member.get(f"groups/{gid}/fines/").json()
        assert [(f["kind"], f["amount"], f["status"]) for f in fines] == [("absence", "50.00", "owed")]
        assert chair.get(f"groups/{gid}/fines/").json() == fines  # officials see everyone's; only one exists
        # corrected to an apology: the unpaid fine is waived; absent again: the same fine is owed again
        record["attendance"][2]["status"] = "apology"
        treasurer.patch(f"groups/{gid}/meetings/{mid}/", record)
        assert member.get(f"groups/{gid}/fines/").json()[0]["status"] == "waived"
        record["attendance"][2]["status"] = "absent"
        treasurer.patch(f"groups/{gid}/meetings/{mid}/", record)
        assert Penalty.objects.filter(membership_id=ids[member]).count() == 1
        assert member.get(f"groups/{gid}/fines/").json()[0]["status"] == "owed"


def test_officials_levy_fines_with_a_reason_and_the_next_payment_settles_them_first(chama):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        levied = chair.post(
            f"groups/{gid}/fines/", {"membership": ids[member], "amount": "75.00", "reason": "Late to the meeting"}
        )
        assert levied.status_code == 201
        assert (
            member.post(f"groups/{gid}/fines/", {"membership": ids[chair], "amount": "1", "reason": "x"}).status_code
            == 403
        )
        assert member.get(f"groups/{gid}/fines/").json()[0]["reason"] == "Late to the meeting"
        first = next(c for c in member.contributions(gid) if c["cycle"] == 1)
        paid = member.pay(first["id"]).json()
        assert paid["total"] == "1075.00"
        assert [i["kind"] for i in paid["settled"]] == ["penalty", "contribution"]
    assert ledger_discrepancies() == []


def test_a_recorded_payment_posts_only_when_a_second_official_confirms(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        payment = {
            "membership": ids[member],
            "amount": "2500.00",
            "method": "mpesa_paybill",
            "receipt_number": "sk71x2abc9",
            "paid_on": "2026-12-03",
            "applies_to": "contribution",
        }
        assert member.post(f"groups/{gid}/payments/", payment).status_code == 403
        recorded = treasurer.post(f"groups/{gid}/payments/", payment)
        assert recorded.status_code == 201, recorded.json()
        pid = recorded.json()["id"]
        assert recorded.json()["receipt_number"] == "SK71X2ABC9"
        # nothing posted yet; the maker cannot check; the same receipt cannot be recorded again
        assert {c["status"] for c in member.contributions(gid)} == {"pending"}
        assert treasurer.post(f"groups/{gid}/payments/{pid}/confirm/").json()["error"]["code"] == (
            "recorded_payment_state"
        )
        again = chair.post(f"groups/{gid}/payments/", {**payment, "receipt_number": "SK71X2ABC9 "})
        assert again.json()["error"]["code"] == "receipt_already_recorded"
        wallet_before = get_wallet(user_id=member.user.pk, currency="KES").balance
        confirmed = chair.post(f"groups/{gid}/payments/{pid}/confirm/")
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
        assert chair.post(f"groups/{gid}/payments/{pid}/confirm/").json()["error"]["code"] == "recorded_payment_state"
        # two whole contributions; the 500 left over stays in the group's cash book: cash never becomes e-money
        assert [c["status"] for c in member.contributions(gid)] == ["paid", "paid", "pending"]
        assert confirmed.json()["applied_amount"] == "2000.00"
        assert get_wallet(user_id=member.user.pk, currency="KES").balance == wallet_before
        assert [p["status"] for p in member.get(f"groups/{gid}/payments/").json()] == ["confirmed"]
    assert ledger_discrepancies() == []


def test_a_rejected_recorded_payment_posts_nothing_and_its_receipt_may_be_recorded_again(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        payment = {
            "membership": ids[member],
            "amount": "1000.00",
            "method": "cash",
            "receipt_number": "R-001",
            "paid_on": "2026-12-03",
            "applies_to": "contribution",
        }
        pid = treasurer.post(f"groups/{gid}/payments/", payment).json()["id"]
        rejected = chair.post(f"groups/{gid}/payments/{pid}/reject/", {"reason": "Wrong member"})
        assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "Wrong member"
        assert chair.post(f"groups/{gid}/payments/{pid}/confirm/").status_code == 409
        assert {c["status"] for c in member.contributions(gid)} == {"pending"}
        assert treasurer.post(f"groups/{gid}/payments/", payment).status_code == 201


def test_a_recorded_payment_can_pay_a_fine(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        fine = chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "200.00", "reason": "Noise"})
        payment = {
            "membership": ids[member],
            "amount": "200.00",
            "method": "cash",
            "receipt_number": "R-002",
            "paid_on": "2026-12-03",
            "applies_to": "fine",
            "target": fine.json()["id"],
        }
        pid = chair.post(f"groups/{gid}/payments/", payment).json()["id"]
        treasurer.post(f"groups/{gid}/payments/{pid}/confirm/")
        assert member.get(f"groups/{gid}/fines/").json()[0]["status"] == "paid"
        assert {c["status"] for c in member.contributions(gid)} == {"pending"}
    assert ledger_discrepancies() == []


def _pay_cycle(people, gid, cycle):
    for person in people:
        mine = next(c for c in person.contributions(gid) if c["cycle"] == cycle)
        assert person.pay(mine["id"]).status_code == 200


def test_statements_match_the_ledger_in_json_csv_and_pdf(chama):
    """Without time travel: postings carry the database's own clock, which a statement's dates are read from."""
    gid, people, ids = chama
    chair, treasurer, member = people
    today = timezone.now().astimezone(NAIROBI).date()
    window = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))}
    _pay_cycle(people, gid, 1)
    chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "60.00", "reason": "Phone rang"})
    (paid,) = run_payouts(group=SavingsGroup.objects.get(pk=gid), today=date(2027, 1, 5))
    assert paid.amount == Decimal("2970.00")
    _pay_cycle(people, gid, 2)

    statement = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window)
    assert statement.status_code == 200, statement.json()
    data = statement.json()
    assert data["opening_balance"] == "0.00"
    assert [m["amount"] for m in data["movements"]] == ["1000.00", "1060.00"]
    assert data["closing_balance"] == "2060.00"
    assert data["totals"]["contributions"] == "2000.00" and data["totals"]["penalties"] == "60.00"
    # the ledger agrees: what left the member's wallet in this group's postings
    wallet = get_wallet(user_id=member.user.pk, currency="KES")
    from_ledger = -sum(e.amount for e in LedgerEntry.objects.filter(account=wallet, transaction__reference=gid))
    assert Decimal(data["closing_balance"]) == from_ledger
    # a later window opens where the earlier one closed
    later = member.get(f"groups/{gid}/members/{ids[member]}/statement/", start=str(today + timedelta(days=1)))
    assert later.status_code == 400  # the start comes after the end (today)
    later = member.get(
        f"groups/{gid}/members/{ids[member]}/statement/",
        start=str(today + timedelta(days=1)),
        end=str(today + timedelta(days=2)),
    ).json()
    assert (later["opening_balance"], later["movements"], later["closing_balance"]) == ("2060.00", [], "2060.00")

    # the chair's payout shows on the chair's statement; the group statement is the pot's ledger balance
    chairs = chair.get(f"groups/{gid}/members/{ids[chair]}/statement/", **window).json()
    assert chairs["totals"]["payouts"] == "-2970.00" and chairs["totals"]["fees"] == "30.00"
    pot = treasurer.get(f"groups/{gid}/statement/", **window).json()
    # cycle 2's 3,000 and the member's fine of 60, which is the group's
    assert pot["closing_balance"] == treasurer.get(f"groups/{gid}/").json()["pot_balance"] == "3060.00"
    assert pot["totals"]["penalties"] == "60.00"
    assert member.get(f"groups/{gid}/members/{ids[chair]}/statement/").json()["error"]["code"] == "officials_only"

    as_csv = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window, format="csv")
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[0][:5] == ["date", "kind", "description", "amount", "balance"]
    assert len(rows) - 1 == len(data["movements"])

    as_pdf = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window, format="pdf")
    assert as_pdf.status_code == 200 and as_pdf["Content-Type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF")
    bad = member.get(f"groups/{gid}/statement/", start="2027-02-01", end="2027-01-01", format="pdf")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    text = _pdf_text(as_pdf.content)
    assert member.user.get_full_name() in text and "2060.00" in text
    assert ledger_discrepancies() == []


def _pdf_text(pdf: bytes) -> str:
    """The PDF's words, read in pure Python (pypdf), so the suite needs nothing `make test` does not install."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_group_health_and_the_dashboard(chama, django_capture_on_commit_callbacks):
    gid, people, ids = chama
    chair, treasurer, member = people
    with at("2026-12-20T10:00", NAIROBI):
        for person in (chair, treasurer):
            person.pay(next(c for c in person.contributions(gid) if c["cycle"] == 1)["id"])
        assert "contribution_due" not in [a["kind"] for a in member.get("users/dashboard/").json()["needs_action"]]
    with at("2027-01-06T01:00", NAIROBI):
        dispatch_group_job.delay("penalties")
    with at("2027-01-07T10:00", NAIROBI):
        health = treasurer.get(f"groups/{gid}/health/").json()
        assert health["contributions_due"] == 3 and health["contributions_on_time"] == 2
        assert health["on_time_rate"] == round(2 / 3, 4)
        assert health["arrears"] == "1100.00"  # a 1,000 contribution and a 100 penalty
        assert [d["membership"] for d in health["defaulters"]] == [ids[member]]
        assert health["cycles"][0] == {
            "cycle": 1,
            "due_date": "2027-01-05",
            "status": "open",
            "expected": "3000.00",
            "collected": "2000.00",
        }
        detail = chair.get(f"groups/{gid}/").json()
        assert detail["figures"]["arrears"] == "1100.00" and detail["figures"]["defaulters"] == 1

        board = chair.get("users/dashboard/").json()
        assert board["total_saved"] == [{"currency": "KES", "amount": "1000.00"}]
        assert board["next_payout"]["cycle"] == 1 and board["next_payout"]["amount"] == "2970.00"
        assert [d["cycle"] for d in board["upcoming_dues"]] == [2, 3]
        late = member.get("users/dashboard/").json()
        kinds = [a["kind"] for a in late["needs_action"]]
        assert "contribution_due" in kinds
        assert send_weekly_summaries() == 1
    assert ledger_discrepancies() == []


BAD_INPUTS = [
    ("post", "meetings/", {"scheduled_for": "tomorrow"}),
    ("post", "meetings/", {}),
    ("patch", "meetings/999/", {"attendance": [{"membership": 1, "status": "asleep"}]}),
    ("post", "fines/", {"membership": 999999, "amount": "10.00", "reason": "x"}),
    ("post", "fines/", {"membership": "abc", "amount": 10.5, "reason": ""}),
    ("post", "fines/", {"membership": 1, "amount": "-3", "reason": "x"}),
    ("post", "loans/", {"amount": "0", "term_months": 3, "purpose": "x"}),
    ("post", "loans/", {"amount": "100.001", "term_months": 0, "purpose": ""}),
    ("post", "loans/", {"amount": "100", "term_months": 2, "purpose": "x", "guarantors": [{"membership": 999999}]}),
    ("post", "loans/", {"amount": "100", "term_months": 99, "purpose": "x"}),
    ("post", "loans/999/approve/", {}),
    ("post", "loans/999/repay/", {"amount": "abc"}),
    ("post", "guarantees/999/accept/", {}),
    (
        "post",
        "payments/",
        {
            "membership": 999999,
            "amount": "1",
            "method": "cash",
            "receipt_number": "A",
            "paid_on": "2026-12-01",
            "applies_to": "loan",
        },
    ),
    ("post", "payments/", {"method": "cheque", "applies_to": "everything", "paid_on": "yesterday"}),
    ("post", "payments/999/confirm/", {}),
    ("post", "payments/999/reject/", {}),
    ("get", "statement/?start=2027-13-01", None),
    ("get", "members/999999/statement/", None),
]


def test_bad_input_to_any_chama_endpoint_is_a_clear_error_never_a_500(chama):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        for method, path, body in BAD_INPUTS:
            for person in (chair, member):
                url = f"/api/v1/groups/{gid}/{path}"
                if method == "get":
                    answer = person.api.get(url)
                else:
                    answer = getattr(person.api, method)(
                        url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-" + path, HTTP_X_PIN_TOKEN="nope"
                    )
                assert 400 <= answer.status_code < 500, (method, path, answer.status_code)
                assert set(answer.json()["error"]) == {"code", "message", "details"}, (method, path)
        # with a real target, a bad recorded payment is refused too
        payment = {
            "membership": ids[member],
            "amount": "1",
            "method": "cash",
            "receipt_number": "Z",
            "paid_on": "2026-12-01",
            "applies_to": "loan",
            "target": 424242,
        }
        assert chair.post(f"groups/{gid}/payments/", payment).status_code == 409
    assert ledger_discrepancies() == []


def test_a_member_pays_a_fine_on_its_own_once(chama):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        fine = chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "80.00", "reason": "Late"})
        path = f"/api/v1/penalties/{fine.json()['id']}/pay/"
        assert chair.post(f"penalties/{fine.json()['id']}/pay/", money=True).json()["error"]["code"] == (
            "penalty_not_found"
        )
        before = get_wallet(user_id=member.user.pk, currency="KES").balance
        headers = {"HTTP_IDEMPOTENCY_KEY": "fine-once", "HTTP_X_PIN_TOKEN": pin_token(member.user)}
        first = member.api.post(path, {}, format="json", **headers)
        again = member.api.post(path, {}, format="json", **headers)
        assert first.status_code == again.status_code == 200 and first.json()["status"] == "paid"
        assert again["Idempotent-Replayed"] == "true"
        assert member.post(f"penalties/{fine.json()['id']}/pay/", money=True).json()["error"]["code"] == (
            "penalty_not_owed"
        )
        assert get_wallet(user_id=member.user.pk, currency="KES").balance == before - Decimal("80.00")
        assert {c["status"] for c in member.contributions(gid)} == {"pending"}
    assert ledger_discrepancies() == []
