"""Sign-up, email verification and password reset: answers that never say whether an email is registered."""

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.errors import LinkInvalidError
from accounts.lockout import confirm_password
from accounts.models import User
from accounts.signals import address_message, user_message

VERIFY_SALT = "accounts.verify-email"
VERIFY_MAX_AGE = 3 * 24 * 3600


def _check_password_rules(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def email_verification_token(user: User) -> str:
    """What `verify_email` takes for `user`'s current address, for three days."""
    return signing.dumps({"user": str(user.pk), "email": user.email}, salt=VERIFY_SALT)


def email_verification_link(user: User) -> str:
    return f"{settings.FRONTEND_URL}/verify-email?token={email_verification_token(user)}"


def sign_up(
    *, email: str, password: str, first_name: str, last_name: str, phone_number: str, referral_code: str = ""
) -> None:
    """Create an unverified account and mail a verification link; for an email (or phone) already in use, mail
    the owner a notice instead. Both paths validate, hash and mail alike, so neither answer nor timing tells."""
    email = User.objects.normalize_email(email)
    candidate = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone_number=phone_number,
        referred_by=User.objects.filter(referral_code=referral_code).first() if referral_code else None,
    )
    _check_password_rules(password, candidate)
    hashed = make_password(password)
    owner = User.objects.filter(email=email).first()
    if owner is not None:
        user_message.send(sender=User, user=owner, event="sign_up_attempted", context={})
        return
    if phone_number and User.objects.filter(phone_number=phone_number).exists():
        address_message.send(sender=User, email=email, event="sign_up_phone_taken", context={}, language="en")
        return
    candidate.password = hashed
    try:
        with transaction.atomic():
            candidate.save()
    except IntegrityError:  # the same email or phone, signed up a moment ago
        return
    user_message.send(
        sender=User,
        user=candidate,
        event="email_verification",
        context={"first_name": first_name, "link": email_verification_link(candidate)},
    )


def verify_email(*, token: str) -> User:
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
        user = User.objects.get(pk=data["user"], email=data["email"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, ValueError) as exc:
        raise LinkInvalidError() from exc
    if not user.is_verified:
        User.objects.filter(pk=user.pk).update(is_verified=True)
        user.is_verified = True
    return user


def request_password_reset(*, email: str) -> None:
    """Mail a single-use, expiring reset link if the account exists; answer the same either way."""
    user = User.objects.filter(email=User.objects.normalize_email(email), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"
    user_message.send(sender=User, user=user, event="password_reset", context={"link": link})


def end_sessions_now(*, user: User) -> None:
    """Every token of the user issued until now, access tokens included, is refused from here on
    (`accounts.authentication` compares each token's `iat` with this)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now


def end_all_sessions(*, user: User) -> int:
    """Every signed-in device must sign in again: tokens issued until now are refused, and every outstanding refresh
    token is blacklisted too."""
    end_sessions_now(user=user)
    ended = 0
    for outstanding in OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True):
        BlacklistedToken.objects.get_or_create(token=outstanding)
        ended += 1
    return ended


def reset_password(*, uid: str, token: str, new_password: str) -> None:
    """The token is single use: it hashes the current password, which this changes."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uid)), is_active=True)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError, DjangoValidationError) as exc:
        raise LinkInvalidError() from exc
    if not default_token_generator.check_token(user, token):
        raise LinkInvalidError()
    _check_password_rules(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        end_all_sessions(user=user)
        user_message.send(sender=User, user=user, event="password_changed", context={})


def change_password(*, request, user: User, old_password: str, new_password: str) -> None:
    """The current password is checked under the login lockout; every session ends (the caller issues new tokens)."""
    confirm_password(request=request, user=user, password=old_password, message="The current password is not right.")
    _check_password_rules(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        end_all_sessions(user=user)
        user_message.send(sender=User, user=user, event="password_changed", context={})


def update_profile(*, user: User, **changes) -> User:
    """Names, phone, language, avatar; a new email turns verification off until the new address is confirmed."""
    new_email = changes.pop("email", None)
    with transaction.atomic():
        new_phone = changes.get("phone_number")
        if new_phone and User.objects.filter(phone_number=new_phone).exclude(pk=user.pk).exists():
            raise ValidationError({"phone_number": ["This phone number is on another account."]})
        for field, value in changes.items():
            setattr(user, field, value)
        email_changed = new_email is not None and User.objects.normalize_email(new_email) != user.email
        if email_changed:
            new_email = User.objects.normalize_email(new_email)
            if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
                raise ValidationError({"email": ["This email address cannot be used."]})
            user.email, user.is_verified = new_email, False
        user.save()
    if email_changed:
        user_message.send(
            sender=User, user=user, event="email_change_verification", context={"link": email_verification_link(user)}
        )
    return user
