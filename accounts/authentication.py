"""JWTs that end with the session: every token carries its issue time (`iat`) to the microsecond, and a token issued
at or before the user's `tokens_valid_after` (set by logout, a password change or reset, deactivation, deletion)
is refused, access and refresh alike. The check reads the user row that authentication loads anyway.

`iat` is a JSON number with a fraction (RFC 7519's NumericDate allows it): whole seconds would not tell a token
issued just before a logout from one issued just after it (the new tokens of a password change, for instance)."""

import calendar
import functools
import uuid
from datetime import datetime
from typing import Any

from django.db.models import Field
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User
from core.compiled_select import CompiledSelect


def _epoch(moment: datetime) -> float:
    return calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1_000_000


def issued_before_session_end(*, user: User, payload: dict) -> bool:
    """True when the token was issued at or before the user's sessions were ended (a token without `iat` too)."""
    if user.tokens_valid_after is None:
        return False
    issued_at = payload.get("iat")
    if not isinstance(issued_at, int | float):
        return True
    return issued_at <= _epoch(user.tokens_valid_after)


class _PreciseIssueTime:
    payload: dict[str, Any]  # both set by simplejwt's Token
    current_time: datetime

    def set_iat(self, claim: str = "iat", at_time: datetime | None = None) -> None:
        self.payload[claim] = _epoch(at_time or self.current_time)


class SessionAccessToken(_PreciseIssueTime, AccessToken):
    pass


class SessionRefreshToken(_PreciseIssueTime, RefreshToken):  # type: ignore[misc]  # simplejwt's own bases disagree
    access_token_class = SessionAccessToken


class SessionTokenRefreshSerializer(TokenRefreshSerializer):
    """Rotation refuses a refresh token issued before the user's sessions ended (before it is blacklisted or
    rotated), and issues tokens with the precise issue time."""

    token_class = SessionRefreshToken

    def validate(self, attrs):
        token = self.token_class(attrs["refresh"])  # signature, expiry, blacklist: TokenError if not valid
        user = User.objects.filter(pk=token.payload.get(api_settings.USER_ID_CLAIM)).only("tokens_valid_after").first()
        if user is not None and issued_before_session_end(user=user, payload=token.payload):
            raise TokenError(_("The session has ended; sign in again."))
        return super().validate(attrs)


class SessionAwareJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer authentication, refusing access tokens issued before the user's sessions ended."""

    def get_user(self, validated_token):
        """simplejwt's lookup (the user id claim, an active user, the password hash claim when revocation is on)
        through a select compiled once: every authenticated request makes it, and building the query for the
        wide user row cost more than running it."""
        try:
            user_id = uuid.UUID(str(validated_token[api_settings.USER_ID_CLAIM]))
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        except ValueError as exc:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from exc
        user = _user_by_id().first(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        if issued_before_session_end(user=user, payload=validated_token.payload):
            raise AuthenticationFailed(_("The session has ended; sign in again."), code="token_not_valid")
        return user


@functools.cache
def _user_by_id() -> CompiledSelect[User]:
    field = User._meta.get_field(api_settings.USER_ID_FIELD)
    assert isinstance(field, Field)
    marker = uuid.uuid4()
    return CompiledSelect.compile(User.objects.filter(**{field.name: marker}), (field, marker))


class SessionAwareJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme: the same bearer JWT (`jwtAuth`) as simplejwt's."""

    target_class = "accounts.authentication.SessionAwareJWTAuthentication"
