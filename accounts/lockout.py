"""Every password check goes through django-axes: the login, and the password a signed-in user types to confirm a
sensitive change (a PIN, turning 2FA off, a new password, deleting the account). Wrong ones count as failed logins
for the account and the address; past the limit even the right password is refused until the cool-off ends."""

from django.conf import settings
from django.contrib.auth import authenticate

from accounts.errors import AccountLockedError, InvalidCredentialsError
from accounts.models import User


def authenticate_with_lockout(*, request, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None; raises AccountLockedError past the limit.
    Known and unknown emails fail alike."""
    user = authenticate(request, email=User.objects.normalize_email(email), password=password)
    if getattr(request, "axes_locked_out", False):
        raise AccountLockedError(retry_after=int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return user


def confirm_password(*, request, user: User, password: str, message: str = "The password is not right.") -> None:
    """The signed-in `user` proves it is them: the same check, counting and lockout as the login."""
    confirmed = authenticate_with_lockout(request=request, email=user.email, password=password)
    if confirmed is None or confirmed.pk != user.pk:
        raise InvalidCredentialsError(message)
