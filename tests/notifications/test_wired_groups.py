"""A group's life tells its members through `notifications.services.notify`: started, cancelled (by the chair or
by housekeeping), completed, flagged inactive, the weekly summary, a meeting scheduled. Each test drives the real
service, API or job, and finds exactly one notification per cause for each person it concerns."""

from datetime import date

import pytest

from contributions.services import run_payouts
from contributions.tasks import flag_inactive_groups, send_weekly_summaries, send_weekly_summary
from groups.models import Membership, SavingsGroup
from groups.tasks import cancel_stale_groups
from notifications.catalog import EVENTS
from notifications.models import Notification
from tests.fixtures.groups import CHAMA, NAIROBI, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _providers(providers_in_process):
    """As in the money test directories: the providers' sandboxes in process, Celery eager."""


def told(person, event: str) -> list[Notification]:
    return list(Notification.objects.filter(user=person.user, event=event))


def the_one(person, event: str) -> Notification:
    """The one notification of `event` for `person`, whose context has exactly the keys the catalog declares."""
    notices = told(person, event)
    assert len(notices) == 1, [n.title for n in notices]
    assert set(notices[0].context) == set(EVENTS[event].example)
    return notices[0]


def test_every_member_hears_the_group_has_started(started_group):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=3)
        assert people[0].post(f"groups/{group['id']}/start/").status_code == 409
    for person in people:
        started = the_one(person, "group_started")
        assert started.title == f"{group['name']} has started"
        assert started.body == f"{group['name']} has started. The first contribution is due on 5 Jan 2027."
        assert started.context == {"group": group["name"], "group_id": group["id"], "first_due_date": "2027-01-05"}
        assert started.link == f"/groups/{group['id']}"


def test_the_chair_cancelling_tells_every_member_still_in_once(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, stays, leaves) = forming_group(size=3)
        assert leaves.post(f"groups/{group['id']}/leave/").status_code == 204
        cancelled = chair.post(f"groups/{group['id']}/cancel/", {"reason": "we could not agree on a day"})
        assert cancelled.status_code == 200, cancelled.json()
        assert chair.post(f"groups/{group['id']}/cancel/", {"reason": "again"}).status_code == 409
    for person in (chair, stays):
        notice = the_one(person, "group_cancelled")
        assert notice.title == f"{group['name']} was cancelled"
        assert notice.context["reason"] == "We could not agree on a day."
        assert notice.dedupe_key == f"cancelled:{group['id']}"
    assert not told(leaves, "group_cancelled")


def test_housekeeping_cancelling_a_group_that_never_started_tells_its_members_once(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2)
    with at("2027-01-04T10:00"):
        assert cancel_stale_groups() == 1
        assert cancel_stale_groups() == 0
    for person in people:
        notice = the_one(person, "group_cancelled")
        assert notice.body.startswith(f"{group['name']} was cancelled: Not started within 30 days.")


def test_every_member_hears_once_that_the_group_is_complete(started_group):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=3, **CHAMA)
        gid = group["id"]
        for person in people:
            for contribution in person.contributions(gid):
                assert person.pay(contribution["id"]).status_code == 200
    group_obj = SavingsGroup.objects.get(pk=gid)
    for day in (date(2027, 1, 5), date(2027, 2, 5), date(2027, 3, 5), date(2027, 3, 6)):
        run_payouts(group=group_obj, today=day)
    group_obj.refresh_from_db()
    assert group_obj.status == "completed"
    for person in people:
        done = the_one(person, "group_completed")
        assert done.title == f"{group['name']} is complete"
        assert done.link == f"/groups/{gid}"


def test_the_officials_of_a_quiet_group_hear_it_is_inactive_once(chama):
    gid, (chair, treasurer, member), _ids = chama
    with at("2027-03-01T10:00", NAIROBI):
        assert flag_inactive_groups() == 1
        assert flag_inactive_groups() == 0
    for official in (chair, treasurer):
        inactive = the_one(official, "group_inactive")
        assert inactive.title == f"{SavingsGroup.objects.get(pk=gid).name} looks inactive"
        assert inactive.context["days"] == "60"
    assert not told(member, "group_inactive")


def test_the_weekly_summary_reaches_each_official_once_a_week(chama):
    gid, (chair, treasurer, member), _ids = chama
    with at("2026-12-07T07:00", NAIROBI):
        assert send_weekly_summaries() == 1
        assert send_weekly_summary(gid) == 0  # the same week again: nobody is told twice
    for official in (chair, treasurer):
        summary = the_one(official, "group_weekly_summary")
        assert summary.title == f"{SavingsGroup.objects.get(pk=gid).name}: the week in numbers"
        assert summary.body.startswith("On time:")
    assert not told(member, "group_weekly_summary")
    with at("2026-12-14T07:00", NAIROBI):
        assert send_weekly_summary(gid) == 2
    assert len(told(chair, "group_weekly_summary")) == 2


def test_every_active_member_hears_of_a_meeting_in_the_groups_time(chama):
    gid, people, ids = chama
    chair, _treasurer, member = people
    with at("2026-12-05T10:00", NAIROBI):
        Membership.objects.filter(pk=ids[member]).update(status="suspended")
        answer = chair.post(
            f"groups/{gid}/meetings/", {"scheduled_for": "2026-12-06T11:00:00Z", "place": "Community hall"}
        )
        assert answer.status_code == 201, answer.json()
    name = SavingsGroup.objects.get(pk=gid).name
    for person in people[:2]:
        meeting = the_one(person, "meeting_scheduled")
        assert meeting.title == f"{name}: meeting on 6 Dec 2026 14:00"
        assert meeting.body == f"{name} meets on 6 Dec 2026 14:00 at Community hall."
        assert meeting.context["meeting_at"] == "2026-12-06T14:00+03:00"
        assert meeting.dedupe_key == f"meeting:{answer.json()['id']}"
    assert not told(member, "meeting_scheduled")
