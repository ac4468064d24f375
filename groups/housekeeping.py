"""Weekly care of groups: forming ones nobody started are cancelled (their dues refunded)."""

from datetime import timedelta

from django.utils import timezone

from groups.models import GroupStatus, MembershipStatus, SavingsGroup
from groups.services import cancel_group
from notifications.services import notify

FORMING_DAYS = 30


def stale_forming_group_ids() -> list[str]:
    cutoff = timezone.now() - timedelta(days=FORMING_DAYS)
    return [
        str(pk)
        for pk in SavingsGroup.objects.filter(status=GroupStatus.FORMING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    ]


def cancel_stale_group(*, group_id: str) -> str:
    group = SavingsGroup.objects.filter(pk=group_id).first()
    cutoff = timezone.now() - timedelta(days=FORMING_DAYS)
    if group is None or group.status != GroupStatus.FORMING or group.created_at >= cutoff:
        return "skipped"
    cancel_group(group=group, reason=f"not started within {FORMING_DAYS} days")
    for membership in group.memberships.select_related("user").exclude(status=MembershipStatus.LEFT):
        notify(
            user=membership.user,
            kind="group_cancelled",
            title=f"{group.name} was cancelled",
            body=f"It did not start within {FORMING_DAYS} days; anything you paid is back in your wallet.",
            data={"group": str(group.pk)},
        )
    return "cancelled"
