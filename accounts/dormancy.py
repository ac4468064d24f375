"""Dormant accounts: no sign-in for 90 days. A dormant user may sign in, but money moves out only after the code
emailed at that sign-in is entered (auth/reactivate/)."""

import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q
from django.utils import timezone

from accounts.errors import ReactivationCodeInvalidError
from accounts.models import User
from accounts.registration import send_email

DORMANT_AFTER = timedelta(days=90)
CODE_LIFETIME = timedelta(minutes=30)


def mark_dormant_accounts() -> int:
    """The weekly job. Idempotent: users already dormant are left as they are."""
    cutoff = timezone.now() - DORMANT_AFTER
    idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    return User.objects.filter(idle, is_active=True, dormant_since__isnull=True).update(dormant_since=timezone.now())


def send_reactivation_code(*, user: User) -> None:
    """At a dormant user's sign-in: a fresh six-digit code by email (hashed here, 30 minutes, single use)."""
    code = f"{secrets.randbelow(10**6):06d}"
    User.objects.filter(pk=user.pk).update(
        reactivation_code_hash=make_password(code), reactivation_code_expires_at=timezone.now() + CODE_LIFETIME
    )
    send_email(
        user.email,
        "your code to reactivate your account",
        f"Welcome back. To move money again, enter this code in the app: {code}\nIt works for 30 minutes.",
    )


def reactivate(*, user: User, code: str) -> None:
    fresh = User.objects.only("reactivation_code_hash", "reactivation_code_expires_at", "dormant_since").get(pk=user.pk)
    if fresh.dormant_since is None:
        return
    valid = (
        fresh.reactivation_code_hash
        and fresh.reactivation_code_expires_at
        and fresh.reactivation_code_expires_at > timezone.now()
        and check_password(code, fresh.reactivation_code_hash)
    )
    if not valid:
        raise ReactivationCodeInvalidError()
    User.objects.filter(pk=user.pk).update(
        dormant_since=None, reactivation_code_hash="", reactivation_code_expires_at=None
    )
    user.dormant_since = None
