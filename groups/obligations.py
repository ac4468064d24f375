"""What stops an account from being deleted, as far as groups go, and the user's group records for the export."""

from contributions.models import OWED_STATUSES, Contribution, Penalty, PenaltyStatus
from groups.models import GroupStatus, Membership, MembershipStatus


def open_obligations(*, user) -> list[str]:
    reasons = [
        f"you are in {m.group.name}, which has not finished"
        for m in Membership.objects.select_related("group")
        .filter(user=user, group__status__in=[GroupStatus.FORMING, GroupStatus.ACTIVE])
        .exclude(status=MembershipStatus.LEFT)
    ]
    if (
        Contribution.objects.filter(membership__user=user, status__in=OWED_STATUSES)
        .exclude(membership__group__status=GroupStatus.ACTIVE)
        .exists()
        or Penalty.objects.filter(membership__user=user, status=PenaltyStatus.OWED).exists()
    ):
        reasons.append("you owe a group contributions or penalties")
    return reasons


def personal_records(*, user) -> dict:
    return {
        "groups": [
            {"group": m.group.name, "role": m.role, "status": m.status, "joined_at": m.joined_at.isoformat()}
            for m in Membership.objects.select_related("group").filter(user=user)
        ],
        "contributions": list(
            Contribution.objects.filter(membership__user=user).values(
                "cycle__group__name", "cycle__number", "amount", "due_date", "status", "paid_at"
            )
        ),
        "penalties": list(
            Penalty.objects.filter(membership__user=user).values("amount", "status", "created_at", "paid_at")
        ),
    }
