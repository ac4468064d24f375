import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import update_last_login
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.authentication import SessionRefreshToken, SessionTokenRefreshSerializer
from accounts.dormancy import send_reactivation_code
from accounts.errors import (
    AccountDormantError,
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    PinInvalidError,
    PinLockedError,
    PinNotSetError,
    PinRequiredError,
    PinTokenInvalidError,
)
from accounts.lockout import authenticate_with_lockout, confirm_password
from accounts.models import Device, PinToken, StaffAuditEntry, User
from accounts.registration import end_all_sessions, end_sessions_now
from accounts.signals import user_message
from accounts.two_factor import login_challenge
from config.client_ip import client_ip
from core.compiled_select import CompiledStatement
from core.errors import ConflictError

FAMILY_CLAIM = "fam"


def issue_tokens(*, user: User) -> dict[str, str]:
    """A new token family for `user`: a refresh token (recorded, so it can be blacklisted) and its access token.
    Rotation copies the family claim into every successor, so a stolen ancestor can end its whole line."""
    refresh = SessionRefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = secrets.token_hex(8)
    update_last_login(None, user)  # type: ignore[arg-type]  # the receiver ignores its sender
    if user.dormant_since is not None:
        send_reactivation_code(user=user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def rotate_refresh_token(*, refresh: str) -> dict[str, str]:
    """Exchange a refresh token for a new pair (the old one is blacklisted). Presenting an already-used token
    means two holders share it: refuse, and end every token of its family, the legitimate holder's included.
    A token issued before the user's sessions ended (logout, password change…) is refused too."""
    serializer = SessionTokenRefreshSerializer(data={"refresh": refresh})
    try:
        serializer.is_valid(raise_exception=True)
    except (TokenError, InvalidToken) as exc:
        _end_family_if_reused(refresh)
        raise InvalidRefreshTokenError() from exc
    return serializer.validated_data


def _end_family_if_reused(refresh: str) -> None:
    try:
        payload = token_backend.decode(refresh, verify=True)  # type: ignore[arg-type]  # simplejwt types it as Token
    except TokenBackendError:
        return  # forged or expired: nothing to end
    if not BlacklistedToken.objects.filter(token__jti=payload.get("jti")).exists():
        return
    family = payload.get(FAMILY_CLAIM)
    user_id = payload.get(api_settings.USER_ID_CLAIM)
    if not family or not user_id:
        return
    for outstanding in OutstandingToken.objects.filter(user_id=user_id, blacklistedtoken__isnull=True):
        if token_backend.decode(outstanding.token, verify=False).get(FAMILY_CLAIM) == family:  # type: ignore[arg-type]
            BlacklistedToken.objects.get_or_create(token=outstanding)


def log_in(*, request, email: str, password: str) -> User:
    """Known and unknown emails fail alike (same code, same body); django-axes counts failures per account and
    per address and, past the limit, refuses even the right password until the cool-off ends."""
    user = authenticate_with_lockout(request=request, email=email, password=password)
    if user is None:
        raise InvalidCredentialsError()
    return user


def announce_sign_in(*, user: User, ip: str, user_agent: str) -> None:
    """Tell the user of a sign-in from a device (browser or app, by its User-Agent) not seen on their account
    before: the notification's cause is the device, so a known device signs in silently."""
    device = user_agent.strip()[:200] or "an unknown device"
    user_message.send(
        sender=User,
        user=user,
        event="new_sign_in",
        context={"device": device, "ip": ip, "signed_in_at": timezone.localtime().isoformat(timespec="minutes")},
        key="device:" + hashlib.sha256(device.encode()).hexdigest()[:40],
    )


def sign_in_answer(*, user: User) -> dict:
    """What a successful first factor earns: tokens and the user, or, with 2FA on, a challenge for auth/2fa/verify/."""
    if user.totp_enabled:
        return {"two_factor_required": True, "challenge": login_challenge(user=user)}
    return {**issue_tokens(user=user), "user": user}


def log_out(*, user: User, refresh: str) -> None:
    """Blacklist the caller's refresh token so it can never be exchanged again, and end the user's sessions: every
    token issued until now, access tokens included, is refused from here on (on every device)."""
    try:
        token = SessionRefreshToken(refresh)  # type: ignore[arg-type]  # simplejwt types a token string as Token
    except TokenError as exc:
        raise InvalidRefreshTokenError() from exc
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidRefreshTokenError()
    token.blacklist()
    end_sessions_now(user=user)


def flush_expired_tokens() -> int:
    """Delete refresh-token records past their expiry (their blacklist rows go with them). Safe to run twice."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


PIN_TOKEN_LIFETIME = timedelta(minutes=5)
PIN_MAX_ATTEMPTS = 5
PIN_LOCK = timedelta(minutes=30)
# PINs anyone would try first; together with one repeated digit and straight runs they are refused.
_COMMON_PINS = {"1212", "2580", "1004", "2000", "6969", "1122", "1313", "4545", "5252", "0852", "121212", "112233"}


def weak_pins() -> list[str]:
    """Every PIN of 4 to 6 digits that `check_pin_strength` calls too easy to guess (for the API schema)."""
    pins = set(_COMMON_PINS)
    for length in range(4, 7):
        pins |= {digit * length for digit in "0123456789"}
        for start in range(10 - length + 1):
            run = "".join(str(start + step) for step in range(length))
            pins |= {run, run[::-1]}
    return sorted(pins)


def check_pin_strength(pin: str) -> None:
    """4 to 6 digits, not a repeated digit, not a straight run up or down, not one of the commonest PINs."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6):
        raise ValidationError({"pin": ["A PIN is 4 to 6 digits."]})
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    if len(set(pin)) == 1 or steps in ({1}, {-1}) or pin in _COMMON_PINS:
        raise ValidationError({"pin": ["That PIN is too easy to guess; choose another."]})


def set_pin(*, request, user: User, pin: str, password: str | None = None, old_pin: str | None = None) -> None:
    """Set or change the transaction PIN, proven by the account password (checked under the login lockout) or,
    to change it, the current PIN."""
    check_pin_strength(pin)
    if password:
        confirm_password(request=request, user=user, password=password)
    elif old_pin and user.pin_hash:
        _check_pin(user=user, pin=old_pin)
    else:
        raise ValidationError({"password": ["Confirm with your password (or your current PIN to change it)."]})
    User.objects.filter(pk=user.pk).update(pin_hash=make_password(pin), pin_failed_attempts=0, pin_locked_until=None)
    user.refresh_from_db(fields=["pin_hash", "pin_failed_attempts", "pin_locked_until"])
    user_message.send(sender=User, user=user, event="pin_changed", context={})


def _check_pin(*, user: User, pin: str) -> None:
    """Compare under a row lock, counting failures: five wrong in a row lock the PIN for 30 minutes.

    A wrong PIN's count must survive the error it raises, so the count is committed in its own transaction.
    """
    if not user.pin_hash:
        raise PinNotSetError()
    with transaction.atomic():
        locked = (
            User.objects.select_for_update().only("pin_hash", "pin_failed_attempts", "pin_locked_until").get(pk=user.pk)
        )
        now = timezone.now()
        if locked.pin_locked_until and locked.pin_locked_until > now:
            raise PinLockedError(details={"retry_after": int((locked.pin_locked_until - now).total_seconds()) + 1})
        if check_password(pin, locked.pin_hash):
            if locked.pin_failed_attempts:
                User.objects.filter(pk=user.pk).update(pin_failed_attempts=0, pin_locked_until=None)
            return
        attempts = locked.pin_failed_attempts + 1
        lock_until = now + PIN_LOCK if attempts >= PIN_MAX_ATTEMPTS else None
        User.objects.filter(pk=user.pk).update(
            pin_failed_attempts=0 if lock_until else attempts, pin_locked_until=lock_until
        )
    if lock_until:
        raise PinLockedError(details={"retry_after": int(PIN_LOCK.total_seconds())})
    raise PinInvalidError(details={"attempts_left": PIN_MAX_ATTEMPTS - attempts})


def issue_pin_token(*, user: User, pin: str) -> tuple[str, datetime]:
    """Check the PIN and hand out a new single-use token (several may be outstanding)."""
    _check_pin(user=user, pin=pin)
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + PIN_TOKEN_LIFETIME
    PinToken.objects.create(user=user, token_hash=_token_hash(token), expires_at=expires_at)
    return token, expires_at


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def spend_pin_token(*, user: User, token: str) -> None:
    """Use the token up, in the caller's transaction: if the request's transaction rolls back, the token stays
    unspent (a transfer answers its refusals without rolling back, so an attempt that reached the recipient spends
    its token). Two requests racing with one token: the conditional UPDATE lets exactly one through."""
    statement = _spend_statement()
    with connection.cursor() as cursor:
        arguments = statement.parameters(user_id=user.pk, token_hash=_token_hash(token), now=timezone.now())
        cursor.execute(statement.sql, arguments)
        spent = cursor.rowcount
    if spent != 1:
        raise PinTokenInvalidError()


@functools.cache
def _spend_statement() -> CompiledStatement:
    """The conditional UPDATE, built once: every money request spends a token."""

    def build(*, user_id: Any, token_hash: str, now: datetime) -> tuple[str, Any]:
        query = PinToken.objects.filter(
            user_id=user_id, token_hash=token_hash, used_at__isnull=True, expires_at__gt=now
        ).query.chain(UpdateQuery)
        assert isinstance(query, UpdateQuery)  # what QuerySet.update builds
        query.add_update_values({"used_at": now})
        return query.get_compiler(DEFAULT_DB_ALIAS).as_sql()

    return CompiledStatement.compile(
        build,
        {
            "user_id": User._meta.pk,
            "token_hash": PinToken._meta.get_field("token_hash"),
            "now": PinToken._meta.get_field("expires_at"),
        },
    )


def authorize_money_movement(*, user: User, pin_token: str | None) -> None:
    """The one gate before money leaves a wallet (withdraw, transfer, bill): a verified email and a fresh PIN token,
    spent here. Runs after the Idempotency-Key replay check, so a retried request still gets its first answer."""
    if not user.is_verified:
        raise EmailNotVerifiedError()
    if user.dormant_since is not None:
        raise AccountDormantError()
    if not pin_token:
        raise PinRequiredError()
    spend_pin_token(user=user, token=pin_token)


def purge_expired_pin_tokens() -> int:
    deleted, _ = PinToken.objects.filter(expires_at__lte=timezone.now() - timedelta(days=1)).delete()
    return deleted


def record_staff_action(
    *, actor: User, action: str, target, reason: str = "", request=None, details: dict | None = None
) -> StaffAuditEntry:
    """Write the audit entry for a staff write, in the same transaction as the write itself."""
    ip_address = (client_ip(request) or None) if request is not None else None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    return StaffAuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        reason=reason[:255],
        details=details or {},
        ip_address=ip_address,
        user_agent=user_agent,
    )


def verify_user(*, user_id) -> User:
    """Staff: mark a user verified (their email confirmed another way), as following the emailed link does."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.is_verified:
            raise ConflictError("Already verified.")
        user.is_verified = True
        user.save(update_fields=["is_verified"])
    return user


def suspend_user(*, user_id) -> User:
    """Staff: the user may no longer sign in (the API or the admin), and every session of theirs ends now: tokens
    issued until now stay refused should they be reactivated later. Their money stays where it is."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if not user.is_active:
            raise ConflictError("Already suspended.")
        user.is_active = False
        user.save(update_fields=["is_active"])
        end_all_sessions(user=user)
    return user


def ban_user(*, user_id) -> User:
    """Staff: as a suspension (no sign-in, every session ended now), and for good: a banned user is never
    reactivated. Money stays where it is (finance settles it separately)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.banned_at is not None:
            raise ConflictError("Already banned.")
        user.is_active = False
        user.banned_at = timezone.now()
        user.save(update_fields=["is_active", "banned_at"])
        end_all_sessions(user=user)
    return user


def reactivate_user(*, user_id) -> User:
    """Staff: lift a suspension. Sessions ended by it stay ended: the user signs in again. A ban is never lifted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.banned_at is not None:
            raise ConflictError("A banned user cannot be reactivated.")
        if user.is_active:
            raise ConflictError("Not suspended.")
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


def register_device(*, user: User, fcm_token: str, platform: str, name: str = "") -> Device:
    """One row per FCM token: a phone that changes hands (or accounts) moves to its new user."""
    device, _ = Device.objects.update_or_create(
        fcm_token=fcm_token, defaults={"user": user, "platform": platform, "name": name}
    )
    return device


def unregister_device(*, user: User, device_id: int) -> bool:
    deleted, _ = Device.objects.filter(user=user, pk=device_id).delete()
    return bool(deleted)
