"""Statements in words people use: labels rather than the ledger's kinds, a registration fee called one, the member
named on the group's statement, and an unknown `?format=` a 400 on both statement endpoints."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from groups.models import Membership
from tests.fixtures.groups import CHAMA, NAIROBI, at


def test_group_and_member_statements_name_the_member_and_label_the_dues(started_group):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=2, funded="5000.00", **{**CHAMA, "registration_fee": "200.00"})
    gid = group["id"]
    chair, member = people
    ids = {p: Membership.objects.get(group_id=gid, user=p.user).pk for p in people}
    today = timezone.now().astimezone(NAIROBI).date()
    window = {"start": str(today - timedelta(days=1)), "end": str(today + timedelta(days=1))}

    pot = chair.get(f"groups/{gid}/statement/", **window).json()
    fees = [m for m in pot["movements"] if m["kind"] == "deposit_hold"]
    assert len(fees) == 2 and {m["label"] for m in fees} == {"Registration fee"}
    names = {p.user.get_full_name() or p.user.email for p in people}
    assert {m["description"] for m in fees} == {f"Registration fee from {name}" for name in names}
    assert pot["totals"]["registration_fees"] == "400.00" and pot["totals"]["deposits"] == "0.00"

    own = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window)
    (fee,) = [m for m in own.json()["movements"] if m["kind"] == "deposit_hold"]
    assert (fee["label"], fee["description"]) == ("Registration fee", "Registration fee")

    as_csv = chair.get(f"groups/{gid}/statement/", **window, format="csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert {row["kind"] for row in rows} == {"Registration fee"}  # the label, not `deposit_hold`
    assert "deposit_hold" not in as_csv.content.decode() and "Security deposit" not in as_csv.content.decode()

    for url in (f"groups/{gid}/statement/", f"groups/{gid}/members/{ids[member]}/statement/"):
        bad = (
            member.get(url, format="xml") if url.endswith(f"{ids[member]}/statement/") else chair.get(url, format="xml")
        )
        assert bad.status_code == 400, bad.content
        assert bad.json()["error"]["code"] == "validation_error" and "format" in bad.json()["error"]["details"]
