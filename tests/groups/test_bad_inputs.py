"""Issue 11, hole 6: inputs that used to answer 500 answer a 4xx in the one error shape and change nothing.

Run on PostgreSQL too: an over-long string is a DataError there, while SQLite stores it silently."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from contributions.models import Contribution, Cycle, Penalty
from groups.models import Meeting, SavingsGroup
from payments.models import LedgerEntry
from payments.selectors import ledger_discrepancies
from tests.fixtures.groups import AJO, NAIROBI, at

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"code", "message", "details"}


def assert_error(answer, status: int | tuple[int, ...], *codes: str) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert answer.status_code in statuses, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("application/json"), answer["Content-Type"]
    error = answer.json()["error"]
    assert set(error) == ERROR_KEYS, error
    if codes:
        assert error["code"] in codes, error
    return error


def _statement_urls(gid, ids, person):
    return [f"/api/v1/groups/{gid}/statement/", f"/api/v1/groups/{gid}/members/{ids[person]}/statement/"]


# --- 1. OPTIONS on the statement downloads -----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_options_on_a_statement_download_answers_json_not_a_crash(chama, debug):
    gid, (_chair, _treasurer, member), ids = chama
    with override_settings(DEBUG=debug):
        for url in _statement_urls(gid, ids, member):
            for query, accept in (
                ("?format=csv", "*/*"),
                ("?format=pdf", "*/*"),
                ("?format=csv", "text/csv"),
                ("", "text/csv"),
                ("", "application/pdf"),
                ("", "application/pdf, text/csv;q=0.5"),
            ):
                answer = member.api.options(url + query, HTTP_ACCEPT=accept)
                assert answer.status_code in (200, 405), (url, query, accept, answer.status_code)
                assert answer["Content-Type"].startswith("application/json"), (url, query, accept)
                body = answer.json()
                if answer.status_code == 405:
                    assert set(body["error"]) == ERROR_KEYS
                else:
                    assert "name" in body and "holder" not in body
                assert "Content-Disposition" not in answer
            # a format the endpoint does not render is refused in the error shape
            assert_error(member.api.options(url + "?format=csv", HTTP_ACCEPT="application/pdf"), 406)
    # the downloads themselves still work
    today = timezone.now().astimezone(NAIROBI).date()
    window = {"start": str(today - timedelta(days=1)), "end": str(today)}
    as_csv = member.get(f"groups/{gid}/members/{ids[member]}/statement/", **window, format="csv")
    assert as_csv.status_code == 200 and as_csv["Content-Type"].startswith("text/csv")
    assert as_csv.content.decode().startswith("date,kind,description,amount,balance")
    as_pdf = member.get(f"groups/{gid}/statement/", **window, format="pdf")
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")


# --- 2. a meeting link longer than its column ----------------------------------------------------------------


def test_a_meeting_link_longer_than_its_column_is_refused(chama):
    gid, (chair, _treasurer, _member), _ids = chama
    long_link = "https://meet.example.com/" + "a" * 190  # 215 characters; the column holds 200
    with at("2026-12-02T10:00", NAIROBI):
        answer = chair.post(
            f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T14:00:00+03:00", "link": long_link}
        )
        error = assert_error(answer, 400, "validation_error")
        assert "link" in error["details"]
        fits = "https://meet.example.com/" + "a" * 175  # exactly 200
        ok = chair.post(f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T14:00:00+03:00", "link": fits})
        assert ok.status_code == 201, ok.json()
    assert Meeting.objects.filter(group_id=gid).count() == 1


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00Z", "0001-01-01T00:30:00Z", "2126-12-06T14:00:00+03:00"])
def test_a_meeting_at_an_absurd_time_is_refused(chama, when):
    gid, (chair, _treasurer, _member), _ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        answer = chair.post(f"groups/{gid}/meetings/", {"scheduled_for": when})
        error = assert_error(answer, 400, "validation_error")
        assert "scheduled_for" in error["details"]
    assert not Meeting.objects.filter(group_id=gid).exists()


# --- 3. ids made of Unicode digits ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["²", "\u0661\u0662", "\U0001d7d9", "12²", "99999999999999999999999999"])
def test_a_unicode_digit_or_huge_id_is_not_found(chama, bad_id):
    """ "²" passes `str.isdigit()` but not `int()`; Arabic-Indic "١٢" and mathematical "𝟙" pass both."""  # noqa: RUF002
    _gid, (_chair, _treasurer, member), _ids = chama
    before = LedgerEntry.objects.count()
    with at("2026-12-02T10:00", NAIROBI):
        for path, codes in (
            (f"contributions/{bad_id}/pay/", ("not_found", "contribution_not_found")),
            (f"penalties/{bad_id}/pay/", ("not_found", "penalty_not_found")),
        ):
            answer = member.post(path, {"source": "wallet"}, money=True)
            assert_error(answer, 404, *codes)
    assert LedgerEntry.objects.count() == before


def _arabic_indic(number: int) -> str:
    return "".join(chr(0x0660 + int(d)) for d in str(number))  # "١٢" is 12 to int(), but not an id in a URL


def test_a_real_id_spelt_in_other_digits_is_not_found_and_pays_nothing(chama):
    gid, (chair, _treasurer, member), ids = chama
    with at("2026-12-02T10:00", NAIROBI):
        (due, *_rest) = member.contributions(gid, status="pending")
        fine = chair.post(f"groups/{gid}/fines/", {"membership": ids[member], "amount": "60.00", "reason": "Late"})
        assert fine.status_code == 201, fine.json()
        before = LedgerEntry.objects.count()
        for spelt in (_arabic_indic(due["id"]), "\U0001d7ce" * 3 + str(due["id"])):
            answer = member.post(f"contributions/{spelt}/pay/", {"source": "wallet"}, money=True)
            assert_error(answer, 404, "contribution_not_found")
        answer = member.post(f"penalties/{_arabic_indic(fine.json()['id'])}/pay/", money=True)
        assert_error(answer, 404, "penalty_not_found")
        assert LedgerEntry.objects.count() == before
        assert Contribution.objects.get(pk=due["id"]).status == "pending"
        assert Penalty.objects.get(pk=fine.json()["id"]).status == "owed"
        # the ASCII spelling still pays
        assert member.pay(due["id"]).status_code == 200


def _routes(resolver=None, prefix=""):
    """Every URL pattern as a regex-free template, e.g. `api/v1/groups/<group_id>/members/<membership_id>/`."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _api_routes_with_ids():
    found = []
    for route, _entry in _routes():
        if not route.startswith("api/v1/") or "<" not in route or route.startswith("api/v1/webhooks/"):
            continue
        found.append(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))
    return found


@pytest.mark.parametrize(
    "bad_id", ["²", "\u0661", "99999999999999999999999999", "9223372036854775808", "-1", "x" * 300]
)
def test_no_url_with_an_id_answers_500_for_a_strange_id(chama, bad_id):
    """Every `/api/v1/` route with a path parameter: the group id real, every other parameter strange; then the
    group id strange too."""
    gid, (chair, _treasurer, _member), _ids = chama
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(chair.user)
    routes = _api_routes_with_ids()
    assert any("contributions/{contribution_id}/pay/" in r for r in routes)
    urls = [re.sub(r"\{\w+\}", bad_id, "/" + route.replace("{group_id}", gid)) for route in routes]
    urls += [re.sub(r"\{\w+\}", bad_id, "/" + route) for route in routes if "{group_id}" in route]
    with at("2026-12-02T10:00", NAIROBI):
        for url in urls:
            for method in ("get", "post", "patch", "options"):
                answer = getattr(client, method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-" + url)
                assert answer.status_code < 500, (method, url, answer.status_code)
                if answer.status_code >= 400:
                    assert set(answer.json()["error"]) == ERROR_KEYS, (method, url)
    assert ledger_discrepancies() == []


# --- 4. statement dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "window",
    [
        {"end": "9999-12-31"},
        {"start": "9999-12-30", "end": "9999-12-31"},
        {"start": "0001-01-01"},
        {"start": "0001-01-01", "end": "0001-01-02"},
        {"end": "0001-01-02"},
        {"start": "2026-01-01", "end": "2101-01-01"},
    ],
)
def test_a_statement_for_an_absurd_period_is_refused(chama, window):
    gid, (_chair, _treasurer, member), ids = chama
    for url in _statement_urls(gid, ids, member):
        for fmt in ("json", "csv", "pdf"):
            answer = member.api.get(url, {**window, "format": fmt})
            error = assert_error(answer, 400, "validation_error")
            assert set(error["details"]) <= {"start", "end"} and error["details"], error


def test_a_statement_over_a_sensible_period_still_works(chama):
    gid, (_chair, _treasurer, member), ids = chama
    for url in _statement_urls(gid, ids, member):
        answer = member.api.get(url, {"start": "2020-01-01", "end": "2030-12-31"})
        assert answer.status_code == 200, answer.json()


# --- 5. a group's start date ---------------------------------------------------------------------------------


@pytest.mark.parametrize("start_date", ["9999-12-31", "2099-01-05", "2028-01-06", "2026-11-30", "0001-01-01"])
def test_a_group_cannot_open_with_a_start_date_outside_the_window(member, start_date):
    chair = member()
    with at("2026-12-01T10:00"):
        answer = chair.post("groups/", {**AJO, "start_date": start_date})
    error = assert_error(answer, 400, "validation_error")
    assert "start_date" in error["details"]
    assert not SavingsGroup.objects.exists()


def test_a_group_may_start_today_or_within_a_year(member):
    chair = member()
    with at("2026-12-01T10:00"):
        for start_date in ("2026-12-01", "2027-12-01"):
            answer = chair.post("groups/", {**AJO, "start_date": start_date})
            assert answer.status_code == 201, answer.json()


def test_a_start_date_moved_out_of_the_window_is_refused_and_the_group_still_starts(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2, payout_order="join", security_deposit="0.00")
        gid = group["id"]
        for start_date in ("9999-12-31", "2026-11-01"):
            answer = people[0].patch(f"groups/{gid}/", {"start_date": start_date})
            error = assert_error(answer, 400, "validation_error")
            assert "start_date" in error["details"]
        assert str(SavingsGroup.objects.get(pk=gid).start_date) == AJO["start_date"]
        started = people[0].post(f"groups/{gid}/start/")
        assert started.status_code == 200, started.json()
    assert Cycle.objects.filter(group_id=gid).count() == 2
    assert Contribution.objects.filter(cycle__group_id=gid).exists()
    assert not Penalty.objects.exists()
