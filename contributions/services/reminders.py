"""Reminders of contributions due soon and due today, and of loan instalments due soon, once each."""

from datetime import date, timedelta

from contributions.models import (
    UNPAID_STATUSES,
    Contribution,
    ContributionReminder,
    InstalmentStatus,
    LoanInstalment,
    LoanStatus,
    ReminderKind,
)
from contributions.services.loans import instalment_owed
from core.clock import local_today
from groups.models import (
    SavingsGroup,
)
from groups.notices import group_context
from notifications.rendering import money_text
from notifications.services import notify

REMINDER_EVENTS = {ReminderKind.DUE_SOON: "contribution_due_soon", ReminderKind.DUE_TODAY: "contribution_due_today"}
LOAN_REMINDER_DAYS = 2


def send_reminders(*, group: SavingsGroup, today: date | None = None) -> int:
    """Remind each member of contributions due in two days and due today, once each (a unique row per reminder),
    and each borrower of a loan instalment due in two days. Returns how many reminders went out."""
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
                event=REMINDER_EVENTS[kind],
                context={
                    **group_context(group),
                    "amount": money_text(contribution.amount, group.currency),
                    "due_date": due.isoformat(),
                    "cycle": str(contribution.cycle.number),
                },
                key=f"reminder:{contribution.pk}:{kind}",
            )
    return sent + _remind_loan_instalments(group=group, due=today + timedelta(days=LOAN_REMINDER_DAYS))


def _remind_loan_instalments(*, group: SavingsGroup, due: date) -> int:
    """Each instalment of the loan's schedule still unpaid and due on `due`, to its borrower. The notification's key
    is the reminder's only record, so a second run the same day tells nobody again."""
    reminded = 0
    for instalment in LoanInstalment.objects.filter(
        loan__group=group, loan__status=LoanStatus.DISBURSED, status=InstalmentStatus.PENDING, due_date=due
    ).select_related("loan__borrower__user"):
        owed = instalment_owed(instalment)
        if owed <= 0:
            continue
        if notify(
            user=instalment.loan.borrower.user,
            event="loan_instalment_due",
            context={**group_context(group), "amount": money_text(owed, group.currency), "due_date": due.isoformat()},
            key=f"loan-due:{instalment.loan_id}:{due.isoformat()}",
        ):
            reminded += 1
    return reminded
