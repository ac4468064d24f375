"""Reminders of contributions due soon and due today, once each."""

from datetime import date, timedelta

from contributions.models import (
    UNPAID_STATUSES,
    Contribution,
    ContributionReminder,
    ReminderKind,
)
from core.clock import local_today
from groups.models import (
    SavingsGroup,
)
from notifications.services import notify


def send_reminders(*, group: SavingsGroup, today: date | None = None) -> int:
    """Remind each member of contributions due in two days and due today, once each (a unique row per reminder)."""
    today = today or local_today(group.tz)
    sent = 0
    for kind, due in ((ReminderKind.DUE_SOON, today + timedelta(days=2)), (ReminderKind.DUE_TODAY, today)):
        for contribution in (
            Contribution.objects.filter(cycle__group=group, status__in=UNPAID_STATUSES, due_date=due)
            .exclude(reminders__kind=kind)
            .select_related("membership__user", "cycle")
        ):
            _, created = ContributionReminder.objects.get_or_create(contribution=contribution, kind=kind)
            if not created:
                continue
            sent += 1
            notify(
                user=contribution.membership.user,
                kind=f"contribution_{kind}",
                title=f"{group.name}: {group.currency} {contribution.amount} due {due:%d %b}",
                body=f"Cycle {contribution.cycle.number} contribution.",
                data={"group": str(group.pk), "contribution": contribution.pk},
            )
    return sent
