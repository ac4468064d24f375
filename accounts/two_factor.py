"""TOTP two-factor sign-in (pyotp): setup with a QR code, confirm, a short-lived login challenge, recovery codes."""

import base64
import hashlib
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.pure
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.errors import TwoFactorInvalidError, TwoFactorStateError
from accounts.lockout import confirm_password
from accounts.models import RecoveryCode, User
from accounts.signals import user_message

CHALLENGE_SALT = "accounts.2fa-challenge"
CHALLENGE_MAX_AGE = 5 * 60
ISSUER = "Pamoja"


def start_setup(*, user: User) -> dict[str, str]:
    """A new secret (kept encrypted, not yet active) and its otpauth URI, also as a PNG QR code in base64."""
    if user.totp_enabled:
        raise TwoFactorStateError("Two-factor sign-in is already on; disable it first to start again.")
    user.totp_secret = pyotp.random_base32()
    user.save(update_fields=["totp_secret"])
    uri = pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    png = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.pure.PyPNGImage).save(png)
    return {"otpauth_uri": uri, "qr_code_png": base64.b64encode(png.getvalue()).decode()}


def _accept_totp(*, user: User, code: str) -> bool:
    """A code from the app, at most one step off the clock, never the same step twice (under a row lock)."""
    if not user.totp_secret or not (code.isascii() and code.isdigit()):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = int(time.time() // totp.interval)
    with transaction.atomic():
        locked = User.objects.select_for_update().only("totp_last_step").get(pk=user.pk)
        for step in (current, current - 1, current + 1):
            if step > locked.totp_last_step and secrets.compare_digest(totp.generate_otp(step), code):
                User.objects.filter(pk=user.pk).update(totp_last_step=step)
                return True
    return False


def confirm_setup(*, user: User, code: str) -> list[str]:
    """Turn 2FA on once the app shows a right code; return ten recovery codes (shown once, stored hashed)."""
    if user.totp_enabled or not user.totp_secret:
        raise TwoFactorStateError("Start two-factor setup first.")
    if not _accept_totp(user=user, code=code):
        raise TwoFactorInvalidError()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(10)]
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_enabled=True)
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=make_password(c)) for c in codes)
        user_message.send(sender=User, user=user, event="two_factor_enabled", context={})
    user.totp_enabled = True
    return codes


def login_challenge(*, user: User) -> str:
    return signing.dumps(
        {"user": str(user.pk), "n": hashlib.sha256(user.password.encode()).hexdigest()[:16]}, salt=CHALLENGE_SALT
    )


def complete_login(*, challenge: str, code: str) -> User:
    """Exchange the login challenge and a TOTP or recovery code for the user (tokens are issued by the caller)."""
    try:
        data = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE)
        user = User.objects.get(pk=data["user"], is_active=True)
    except (signing.BadSignature, User.DoesNotExist, KeyError, ValueError) as exc:
        raise TwoFactorInvalidError("The sign-in challenge expired; sign in again.") from exc
    if data.get("n") != hashlib.sha256(user.password.encode()).hexdigest()[:16]:
        raise TwoFactorInvalidError("The sign-in challenge expired; sign in again.")
    if not check_code(user=user, code=code):
        raise TwoFactorInvalidError()
    return user


def _use_recovery_code(*, user: User, code: str) -> bool:
    with transaction.atomic():
        for recovery in RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True):
            if check_password(code.strip().lower(), recovery.code_hash):
                recovery.used_at = timezone.now()
                recovery.save(update_fields=["used_at"])
                return True
    return False


def disable(*, request, user: User, password: str) -> None:
    """The password is checked under the login lockout."""
    confirm_password(request=request, user=user, password=password)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_enabled=False, totp_secret="", totp_last_step=0)
        RecoveryCode.objects.filter(user=user).delete()
        user_message.send(sender=User, user=user, event="two_factor_disabled", context={})


def check_code(*, user: User, code: str) -> bool:
    """A code from the app or an unused recovery code (which this uses up)."""
    return _accept_totp(user=user, code=code) or _use_recovery_code(user=user, code=code)
