"""Weekly care of groups: forming ones nobody started, and running ones where nobody pays any more."""

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone

from groups.models import OFFICIAL_ROLES, GroupStatus, MembershipStatus, SavingsGroup
from groups.services import cancel_group
from notifications.services import notify

FORMING_DAYS = 30
INACTIVE_DAYS = 60


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


def flag_inactive_groups() -> int:
    """Flag running groups with no contribution paid for 60 days (counting from the start); unflag revived ones."""
    cutoff = timezone.now() - timedelta(days=INACTIVE_DAYS)
    running = SavingsGroup.objects.filter(status=GroupStatus.ACTIVE, started_at__lt=cutoff).annotate(
        last_paid=Max("cycles__contributions__paid_at")
    )
    flagged = 0
    for group in running:
        quiet = group.last_paid is None or group.last_paid < cutoff
        if quiet and group.flagged_inactive_at is None:
            group.flagged_inactive_at = timezone.now()
            group.save(update_fields=["flagged_inactive_at"])
            flagged += 1
            for membership in group.memberships.select_related("user").filter(
                status=MembershipStatus.ACTIVE, role__in=OFFICIAL_ROLES
            ):
                notify(
                    user=membership.user,
                    kind="group_inactive",
                    title=f"{group.name} looks inactive",
                    body=f"No contribution has been paid for {INACTIVE_DAYS} days.",
                    data={"group": str(group.pk)},
                )
        elif not quiet and group.flagged_inactive_at is not None:
            group.flagged_inactive_at = None
            group.save(update_fields=["flagged_inactive_at"])
    return flagged


def running_group_ids() -> list[str]:
    return [str(pk) for pk in SavingsGroup.objects.filter(status=GroupStatus.ACTIVE).values_list("pk", flat=True)]


def send_weekly_summary(*, group_id: str) -> int:
    """The week's headline figures to each official, through the notifications seam. Returns how many got it."""
    from groups.reports import weekly_summary

    group = SavingsGroup.objects.filter(pk=group_id, status=GroupStatus.ACTIVE).first()
    if group is None:
        return 0
    body = weekly_summary(group=group)
    officials = list(
        group.memberships.select_related("user").filter(status=MembershipStatus.ACTIVE, role__in=OFFICIAL_ROLES)
    )
    for membership in officials:
        notify(
            user=membership.user,
            kind="group_weekly_summary",
            title=f"{group.name}: the week in numbers",
            body=body,
            data={"group": str(group.pk)},
        )
    return len(officials)
