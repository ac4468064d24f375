"""Who may see and change a group, what locks at start, invites, leaving, swaps and messages."""

import pytest

from groups import rotation
from groups.models import Membership
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.fixtures.groups import AJO, at
from tests.fixtures.money import fund_wallet

pytestmark = pytest.mark.django_db


def group_urls(gid):
    return [
        ("get", f"groups/{gid}/"),
        ("patch", f"groups/{gid}/"),
        ("post", f"groups/{gid}/start/"),
        ("post", f"groups/{gid}/cancel/"),
        ("post", f"groups/{gid}/invite/"),
        ("post", f"groups/{gid}/leave/"),
        ("get", f"groups/{gid}/members/"),
        ("get", f"groups/{gid}/rotation/"),
        ("put", f"groups/{gid}/rotation/"),
        ("get", f"groups/{gid}/cycles/"),
        ("get", f"groups/{gid}/swaps/"),
        ("post", f"groups/{gid}/swaps/"),
        ("post", f"groups/{gid}/swaps/1/accept/"),
        ("get", f"groups/{gid}/messages/"),
        ("post", f"groups/{gid}/messages/"),
        ("get", f"groups/{gid}/members/1/"),
        ("patch", f"groups/{gid}/members/1/"),
        ("post", f"groups/{gid}/dues/"),
        ("post", f"groups/{gid}/swaps/1/decline/"),
        ("get", f"groups/{gid}/meetings/"),
        ("post", f"groups/{gid}/meetings/"),
        ("get", f"groups/{gid}/meetings/1/"),
        ("patch", f"groups/{gid}/meetings/1/"),
        ("get", f"groups/{gid}/fines/"),
        ("post", f"groups/{gid}/fines/"),
        ("get", f"groups/{gid}/loans/"),
        ("post", f"groups/{gid}/loans/"),
        ("get", f"groups/{gid}/loans/1/"),
        *[("post", f"groups/{gid}/loans/1/{action}/") for action in ("approve", "reject", "disburse", "write-off")],
        ("post", f"groups/{gid}/loans/1/repay/"),
        ("post", f"groups/{gid}/guarantees/1/accept/"),
        ("post", f"groups/{gid}/guarantees/1/decline/"),
        ("get", f"groups/{gid}/payments/"),
        ("post", f"groups/{gid}/payments/"),
        ("post", f"groups/{gid}/payments/1/confirm/"),
        ("post", f"groups/{gid}/payments/1/reject/"),
        ("get", f"groups/{gid}/statement/"),
        ("get", f"groups/{gid}/members/1/statement/"),
        ("get", f"groups/{gid}/health/"),
    ]


def call(person, method, path, data=None):
    """An Idempotency-Key always rides along: money endpoints check it first, for member and stranger alike."""
    key = f"{method}:{path}:{person.user.pk}"
    return getattr(person.api, method)(f"/api/v1/{path}", data or {}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_non_member_gets_404_for_every_group_url_and_sees_nothing_of_it(forming_group, member):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2)
        outsider = member()
        for method, path in group_urls(group["id"]):
            answer = call(outsider, method, path, {"body": "hi"})
            if path.endswith("members/1/") and method == "get":
                assert answer.status_code in (404, 405)
                continue
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert answer.json()["error"]["code"] in ("group_not_found", "not_found")
        # the same answer as for a group that does not exist at all
        assert call(outsider, "get", "groups/2b1e6a3e-0000-4000-8000-000000000000/").json()["error"]["code"] == (
            "group_not_found"
        )
        assert call(outsider, "get", "groups/not-a-uuid/").status_code == 404
        assert outsider.get("groups/").json()["count"] == 0
        assert people[1].get("groups/").json()["count"] == 1


def test_a_member_cannot_act_as_an_official(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, plain, *_rest) = forming_group(size=3)
        gid = group["id"]
        other = Membership.objects.get(group_id=gid, user=_rest[0].user)
        refused = [
            call(plain, "patch", f"groups/{gid}/", {"name": "Mine now"}),
            call(plain, "post", f"groups/{gid}/start/"),
            call(plain, "post", f"groups/{gid}/cancel/"),
            call(plain, "post", f"groups/{gid}/invite/"),
            call(plain, "patch", f"groups/{gid}/members/{other.pk}/", {"role": "treasurer"}),
        ]
        assert [a.status_code for a in refused] == [403] * 5
        assert {a.json()["error"]["code"] for a in refused} <= {"officials_only", "chair_only"}
        # a treasurer may edit the text, but not the money settings
        plain_membership = Membership.objects.get(group_id=gid, user=plain.user)
        assert (
            call(chair, "patch", f"groups/{gid}/members/{plain_membership.pk}/", {"role": "treasurer"}).status_code
            == 200
        )
        assert call(plain, "patch", f"groups/{gid}/", {"rules": "Pay by the 5th."}).status_code == 200
        assert call(plain, "patch", f"groups/{gid}/", {"grace_days": 9}).json()["error"]["code"] == "chair_only"


def test_money_settings_refuse_to_change_after_start(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2, security_deposit="0.00", default_policy="payout_waits")
        gid, chair = group["id"], people[0]
        assert call(chair, "patch", f"groups/{gid}/", {"contribution_amount": "12000.00"}).status_code == 200
        assert chair.post(f"groups/{gid}/start/").status_code == 200
        for change in (
            {"contribution_amount": "1.00"},
            {"currency": "KES"},
            {"frequency": "weekly"},
            {"service_fee_percent": "0.00"},
            {"penalty_kind": "none"},
            {"start_date": "2027-02-01"},
        ):
            answer = call(chair, "patch", f"groups/{gid}/", change)
            assert answer.status_code == 409, change
            assert answer.json()["error"]["code"] == "group_settings_locked"
        assert chair.get(f"groups/{gid}/").json()["contribution_amount"] == "12000.00"
        assert call(chair, "patch", f"groups/{gid}/", {"meeting_place": "Church hall"}).status_code == 200


def test_deposit_and_currency_lock_once_a_member_has_paid(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2)
        assert people[1].post(f"groups/{group['id']}/dues/", money=True).status_code == 200
        answer = call(people[0], "patch", f"groups/{group['id']}/", {"security_deposit": "1.00"})
        assert answer.status_code == 409


def test_bad_group_input_is_refused_with_field_errors(member):
    chair = member()
    answer = chair.post(
        "groups/",
        {
            **AJO,
            "contribution_amount": "10.505",
            "frequency": "daily",
            "time_zone": "Mars/Olympus",
            "service_fee_percent": "50",
        },
    )
    assert answer.status_code == 400
    assert set(answer.json()["error"]["details"]) >= {"frequency", "time_zone", "service_fee_percent"}
    for amount in ("10.505", "0", "-5", "1e3"):
        answer = chair.post("groups/", {**AJO, "contribution_amount": amount})
        assert set(answer.json()["error"]["details"]) == {"contribution_amount"}, amount
    assert chair.post("groups/", {**AJO, "registration_fee": "100.00"}).json()["error"]["code"] == "group_state"


def test_start_needs_two_members_with_dues_paid(forming_group, member):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=1)
        answer = people[0].post(f"groups/{group['id']}/start/")
        assert answer.status_code == 409
        assert set(answer.json()["error"]["details"]) == {"members", "dues_unpaid"}
        late = member()
        fund_wallet(late.user, "50000.00", "NGN")
        late.post("groups/join/", {"invite_code": group["invite_code"]})
        for person in (people[0], late):
            assert person.post(f"groups/{group['id']}/dues/", money=True).status_code == 200
        assert people[0].post(f"groups/{group['id']}/start/").status_code == 200
        assert late.post(f"groups/{group['id']}/dues/", money=True).status_code == 409


def test_invites_rotate_and_joining_is_checked(forming_group, member):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=2, member_limit=3)
        old = group["invite_code"]
        fresh = people[0].post(f"groups/{group['id']}/invite/").json()["invite_code"]
        assert fresh != old and len(fresh) == 12
        newcomer = member()
        assert newcomer.post("groups/join/", {"invite_code": old}).json()["error"]["code"] == "invite_code_invalid"
        assert newcomer.post("groups/join/", {"invite_code": fresh.lower()}).status_code == 201
        assert newcomer.post("groups/join/", {"invite_code": fresh}).json()["error"]["code"] == "already_member"
        assert member().post("groups/join/", {"invite_code": fresh}).json()["error"]["code"] == "group_full"


def test_leaving_a_forming_group_refunds_dues_and_the_chair_must_hand_over(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, leaver) = forming_group(size=2)
        gid = group["id"]
        before = get_wallet(user_id=leaver.user.pk, currency="NGN").balance
        assert leaver.post(f"groups/{gid}/dues/", money=True).status_code == 200
        assert leaver.post(f"groups/{gid}/leave/").status_code == 204
        assert get_wallet(user_id=leaver.user.pk, currency="NGN").balance == before
        assert leaver.get(f"groups/{gid}/").status_code == 404
        assert chair.post(f"groups/{gid}/leave/").json()["error"]["code"] == "chair_must_hand_over"
        assert ledger_discrepancies() == []


def test_handing_over_the_chair(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, successor) = forming_group(size=2)
        gid = group["id"]
        target = Membership.objects.get(group_id=gid, user=successor.user)
        assert call(chair, "patch", f"groups/{gid}/members/{target.pk}/", {"role": "chair"}).status_code == 200
        roles = {m["user"]: m["role"] for m in chair.get(f"groups/{gid}/members/").json()["results"]}
        assert roles == {str(chair.user.pk): "member", str(successor.user.pk): "chair"}
        assert chair.post(f"groups/{gid}/leave/").status_code == 204


def test_the_chair_sets_the_order_before_start(forming_group):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=3, payout_order="chair", security_deposit="0.00")
        gid = group["id"]
        assert people[0].post(f"groups/{gid}/start/").json()["error"]["details"].keys() == {"payout_order"}
        wanted = [str(p.user.pk) for p in reversed(people)]
        assert call(people[1], "put", f"groups/{gid}/rotation/", {"order": wanted}).status_code == 403
        bad = call(people[0], "put", f"groups/{gid}/rotation/", {"order": wanted[:2]})
        assert bad.status_code in (400, 409)
        assert call(people[0], "put", f"groups/{gid}/rotation/", {"order": wanted}).status_code == 200
        assert people[0].post(f"groups/{gid}/start/").status_code == 200
        order = people[2].get(f"groups/{gid}/rotation/").json()["order"]
        assert [entry["user"] for entry in order] == wanted
        assert call(people[0], "put", f"groups/{gid}/rotation/", {"order": wanted}).status_code == 409


def test_a_swap_needs_both_members_and_must_come_before_the_earlier_turn(forming_group, member):
    with at("2026-12-01T10:00"):
        group, people = forming_group(size=3, payout_order="join", security_deposit="0.00")
        gid = group["id"]
        people[0].post(f"groups/{gid}/start/")
        first, second, third = people  # join order: cycles 1, 2, 3
        asked = first.post(f"groups/{gid}/swaps/", {"from_cycle": 1, "to_cycle": 3})
        assert asked.status_code == 201, asked.json()
        swap_id = asked.json()["id"]
        # neither the requester nor a bystander can accept for the other member
        assert first.post(f"groups/{gid}/swaps/{swap_id}/accept/").json()["error"]["code"] == "swap_not_allowed"
        assert second.post(f"groups/{gid}/swaps/{swap_id}/accept/").json()["error"]["code"] == "swap_not_allowed"
        assert first.get(f"groups/{gid}/rotation/").json()["order"][0]["user"] == str(first.user.pk)
        assert third.post(f"groups/{gid}/swaps/{swap_id}/accept/").status_code == 200
        order = [e["user"] for e in first.get(f"groups/{gid}/rotation/").json()["order"]]
        assert order == [str(third.user.pk), str(second.user.pk), str(first.user.pk)]
        assert second.post(f"groups/{gid}/swaps/", {"from_cycle": 1, "to_cycle": 3}).json()["error"]["code"] == (
            "swap_not_allowed"
        )  # not second's turn to offer
        late = second.post(f"groups/{gid}/swaps/", {"from_cycle": 2, "to_cycle": 1})
        assert late.status_code == 201
    with at("2027-01-05T08:00"):  # cycle 1 is due today: too late to swap it
        answer = first.post(f"groups/{gid}/swaps/{late.json()['id']}/accept/")
        assert answer.status_code == 409


def test_members_post_and_read_messages(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, other) = forming_group(size=2)
        gid = group["id"]
        assert chair.post(f"groups/{gid}/messages/", {"body": "Meeting on Sunday"}).status_code == 201
        assert other.post(f"groups/{gid}/messages/", {"body": ""}).status_code == 400
        messages = other.get(f"groups/{gid}/messages/").json()["results"]
        assert [m["body"] for m in messages] == ["Meeting on Sunday"]


def test_a_member_may_hold_two_turns_where_the_group_allows(member, forming_group):
    with at("2026-12-01T10:00"):
        group, (chair,) = forming_group(size=1, max_slots_per_member=2, security_deposit="0.00")
        gid = group["id"]
        twice = member()
        assert twice.post("groups/join/", {"invite_code": group["invite_code"], "slots": 3}).status_code == 409
        assert twice.post("groups/join/", {"invite_code": group["invite_code"], "slots": 2}).status_code == 201
        assert chair.post(f"groups/{gid}/start/").status_code == 200
        drawn = chair.get(f"groups/{gid}/rotation/").json()
        tokens = [f"{chair.user.pk}:1", f"{twice.user.pk}:1", f"{twice.user.pk}:2"]
        assert sorted(entry["token"] for entry in drawn["order"]) == sorted(tokens)
        assert [entry["token"] for entry in drawn["order"]] == rotation.draw_order(tokens, drawn["seed"])
        assert len(twice.contributions(gid)) == 6  # two shares in each of three cycles
        assert len(chair.contributions(gid)) == 3


def test_the_member_limit_cannot_drop_below_the_members_already_in(forming_group):
    with at("2026-12-01T10:00"):
        group, (chair, *_others) = forming_group(size=3)
        answer = call(chair, "patch", f"groups/{group['id']}/", {"member_limit": 2})
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "group_state"
        assert call(chair, "patch", f"groups/{group['id']}/", {"member_limit": 3}).status_code == 200
