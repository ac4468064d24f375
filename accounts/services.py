from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.errors import (
    EmailNotVerifiedError,
    InvalidCredentialsError,
    InvalidRefreshTokenError,
    PinRequiredError,
)
from accounts.models import User


def issue_tokens(*, user: User) -> dict[str, str]:
    """A new token family for `user`: a refresh token (recorded, so it can be blacklisted) and its access token."""
    refresh = RefreshToken.for_user(user)
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def log_in(*, request, email: str, password: str) -> tuple[User, dict[str, str]]:
    user = authenticate(request, email=email, password=password)
    if user is None:
        raise InvalidCredentialsError()
    return user, issue_tokens(user=user)


def log_out(*, user: User, refresh: str) -> None:
    """Blacklist the caller's refresh token so it can never be exchanged again."""
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise InvalidRefreshTokenError() from exc
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise InvalidRefreshTokenError()
    token.blacklist()


def flush_expired_tokens() -> int:
    """Delete refresh-token records past their expiry (their blacklist rows go with them). Safe to run twice."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def authorize_money_movement(*, user: User, pin_token: str | None) -> None:
    """The one gate before money leaves a wallet (withdraw, transfer, bill): a verified email and a PIN token.

    The PIN token is only required to be present here; verifying and spending it (single use, five minutes, bound to
    the user) arrives with the transaction-PIN work in the accounts issue, which fills in this function.
    """
    if not user.is_verified:
        raise EmailNotVerifiedError()
    if not pin_token:
        raise PinRequiredError()
