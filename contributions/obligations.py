"""What stops an account from being deleted, as far as a group's money goes (contributions or penalties still owed
outside a running group), and the user's contributions and penalties for the export."""

from contributions.models import OWED_STATUSES, Contribution, Penalty, PenaltyStatus
from groups.models import GroupStatus


def open_obligations(*, user) -> list[str]:
    owes = (
        Contribution.objects.filter(membership__user=user, status__in=OWED_STATUSES)
        .exclude(membership__group__status=GroupStatus.ACTIVE)
        .exists()
        or Penalty.objects.filter(membership__user=user, status=PenaltyStatus.OWED).exists()
    )
    return ["you owe a group contributions or penalties"] if owes else []


def personal_records(*, user) -> dict:
    return {
        "contributions": list(
            Contribution.objects.filter(membership__user=user).values(
                "cycle__group__name", "cycle__number", "amount", "due_date", "status", "paid_at"
            )
        ),
        "penalties": list(
            Penalty.objects.filter(membership__user=user).values("amount", "status", "created_at", "paid_at")
        ),
    }
