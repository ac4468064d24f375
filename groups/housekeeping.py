"""Weekly care of groups: forming ones nobody started are cancelled (their dues refunded, their members told)."""

from datetime import timedelta

from django.utils import timezone

from groups.models import GroupStatus, SavingsGroup
from groups.services import cancel_group

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
    cancel_group(group=group, reason=f"not started within {FORMING_DAYS} days")  # tells the members
    return "cancelled"
