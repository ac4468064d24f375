"""What stops an account from being deleted, as far as group membership goes, and the user's memberships for the
export (what they owe and paid is `contributions.obligations`)."""

from groups.models import GroupStatus, Membership, MembershipStatus


def open_obligations(*, user) -> list[str]:
    return [
        f"you are in {m.group.name}, which has not finished"
        for m in Membership.objects.select_related("group")
        .filter(user=user, group__status__in=[GroupStatus.FORMING, GroupStatus.ACTIVE])
        .exclude(status=MembershipStatus.LEFT)
    ]


def personal_records(*, user) -> dict:
    return {
        "groups": [
            {"group": m.group.name, "role": m.role, "status": m.status, "joined_at": m.joined_at.isoformat()}
            for m in Membership.objects.select_related("group").filter(user=user)
        ],
    }
