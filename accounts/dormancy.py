"""Dormant accounts: no sign-in for 90 days. A dormant user may sign in, but money moves out only after the code
emailed at that sign-in is entered (auth/reactivate/)."""

import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import ReactivationCodeInvalidError
from accounts.models import User
from accounts.signals import user_message

DORMANT_AFTER = timedelta(days=90)
CODE_LIFETIME = timedelta(minutes=30)
CODE_MAX_ATTEMPTS = 5


def mark_dormant_accounts() -> int:
    """The weekly job. Idempotent: users already dormant are left as they are."""
    cutoff = timezone.now() - DORMANT_AFTER
    idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    return User.objects.filter(idle, is_active=True, dormant_since__isnull=True).update(dormant_since=timezone.now())


def send_reactivation_code(*, user: User) -> None:
    """At a dormant user's sign-in: a fresh six-digit code by email (hashed here, 30 minutes, single use, five
    tries)."""
    code = f"{secrets.randbelow(10**6):06d}"
    User.objects.filter(pk=user.pk).update(
        reactivation_code_hash=make_password(code),
        reactivation_code_expires_at=timezone.now() + CODE_LIFETIME,
        reactivation_failed_attempts=0,
    )
    user_message.send(sender=User, user=user, event="reactivation_code", context={"code": code})


def reactivate(*, user: User, code: str) -> None:
    """Compare under a row lock, counting wrong codes: the fifth burns the code (a new sign-in mails a new one).
    The count must survive the error it raises, so it is committed in its own transaction."""
    with transaction.atomic():
        fresh = (
            User.objects.select_for_update()
            .only(
                "reactivation_code_hash",
                "reactivation_code_expires_at",
                "reactivation_failed_attempts",
                "dormant_since",
            )
            .get(pk=user.pk)
        )
        if fresh.dormant_since is None:
            return
        usable = bool(
            fresh.reactivation_code_hash
            and fresh.reactivation_code_expires_at
            and fresh.reactivation_code_expires_at > timezone.now()
        )
        if usable and check_password(code, fresh.reactivation_code_hash):
            User.objects.filter(pk=user.pk).update(
                dormant_since=None,
                reactivation_code_hash="",
                reactivation_code_expires_at=None,
                reactivation_failed_attempts=0,
            )
            user.dormant_since = None
            return
        attempts_left = 0
        if usable:
            attempts = fresh.reactivation_failed_attempts + 1
            attempts_left = max(CODE_MAX_ATTEMPTS - attempts, 0)
            burned = {"reactivation_code_hash": "", "reactivation_code_expires_at": None} if not attempts_left else {}
            User.objects.filter(pk=user.pk).update(reactivation_failed_attempts=attempts, **burned)
    raise ReactivationCodeInvalidError(details={"attempts_left": attempts_left})
