"""What a user may move out of a wallet per transaction and per day, by KYC tier (accounts.kyc.money_limits)."""

from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.kyc import money_limits
from accounts.models import User
from core.errors import LimitExceededError
from payments.models import Transfer, Withdrawal, WithdrawalStatus


def check_outgoing_limit(*, user: User, amount: Decimal, currency: str) -> None:
    """Call with the sending wallet locked: two concurrent payments then cannot both squeeze under the daily limit."""
    single, daily = money_limits(user=user, currency=currency)
    details = {"currency": currency, "tier": user.kyc_tier}
    if amount > single:
        raise LimitExceededError(
            f"Your limit for one payment is {currency} {single:,}; verify your identity to raise it.",
            details={**details, "period": "transaction", "limit": str(single)},
        )
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    sent = Transfer.objects.filter(sender=user, currency=currency, created_at__gte=start_of_day).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    withdrawn = Withdrawal.objects.filter(user=user, currency=currency, created_at__gte=start_of_day).exclude(
        status=WithdrawalStatus.FAILED
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    if sent + withdrawn + amount > daily:
        raise LimitExceededError(
            f"Your daily limit is {currency} {daily:,}; {currency} {max(daily - sent - withdrawn, 0):,} is left today.",
            details={**details, "period": "day", "limit": str(daily), "used": str(sent + withdrawn)},
        )
