"""The nightly proof of the books, and what happens when it fails."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from payments.selectors import ledger_discrepancies

logger = logging.getLogger("pamoja.ledger")


def run_ledger_check() -> int:
    """Check the books; on any discrepancy log it and email every active staff member. Returns the count."""
    problems = ledger_discrepancies()
    if problems:
        logger.error("ledger_check found %d discrepancies", len(problems), extra={"discrepancies": problems[:50]})
        staff = list(get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))
        if staff:
            send_mail(
                subject=f"[Pamoja] ledger_check: {len(problems)} discrepancies",
                message="\n".join(problems[:200]),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=staff,
            )
    return len(problems)
