from rest_framework import status

from core.errors import ApplicationError


class InvalidCredentialsError(ApplicationError):
    code = "invalid_credentials"
    message = "The email or password is not right."
    status_code = status.HTTP_401_UNAUTHORIZED


class InvalidRefreshTokenError(ApplicationError):
    code = "token_invalid"
    message = "The refresh token is invalid, expired or already used."
    status_code = status.HTTP_401_UNAUTHORIZED


class EmailNotVerifiedError(ApplicationError):
    code = "email_not_verified"
    message = "Verify your email address before moving money out of your wallet."
    status_code = status.HTTP_403_FORBIDDEN


class PinRequiredError(ApplicationError):
    code = "pin_required"
    message = "Confirm with your transaction PIN: send the X-Pin-Token header from auth/pin/verify/."
    status_code = status.HTTP_403_FORBIDDEN


class PinInvalidError(ApplicationError):
    code = "pin_invalid"
    message = "That PIN is not right."
    status_code = status.HTTP_403_FORBIDDEN


class PinTokenInvalidError(ApplicationError):
    code = "pin_invalid"
    message = "The PIN confirmation has expired or was already used; enter your PIN again."
    status_code = status.HTTP_403_FORBIDDEN


class PinLockedError(ApplicationError):
    code = "pin_locked"
    message = "Too many wrong PINs: your PIN is locked for a while."
    status_code = status.HTTP_403_FORBIDDEN


class PinNotSetError(ApplicationError):
    code = "pin_not_set"
    message = "Set a transaction PIN first (auth/pin/)."
    status_code = status.HTTP_403_FORBIDDEN


class AccountLockedError(ApplicationError):
    code = "account_locked"
    message = "Too many failed sign-ins: try again later, or reset your password."
    status_code = status.HTTP_429_TOO_MANY_REQUESTS


class LinkInvalidError(ApplicationError):
    code = "link_invalid"
    message = "This link is invalid, expired or already used; ask for a new one."


class TwoFactorInvalidError(ApplicationError):
    code = "two_factor_invalid"
    message = "That code is not right, or was already used."
    status_code = status.HTTP_401_UNAUTHORIZED


class TwoFactorStateError(ApplicationError):
    code = "conflict"
    message = "Two-factor sign-in is not in a state for this."
    status_code = status.HTTP_409_CONFLICT


class SocialTokenInvalidError(ApplicationError):
    code = "social_token_invalid"
    message = "The sign-in token is invalid or expired."
    status_code = status.HTTP_401_UNAUTHORIZED


class AccountHasObligationsError(ApplicationError):
    code = "account_has_obligations"
    message = "Settle what is still open before deleting the account."
    status_code = status.HTTP_409_CONFLICT


class AccountDormantError(ApplicationError):
    code = "account_dormant"
    message = "Welcome back: enter the code we emailed you (auth/reactivate/) before moving money."
    status_code = status.HTTP_403_FORBIDDEN


class ReactivationCodeInvalidError(ApplicationError):
    code = "reactivation_code_invalid"
    message = "That code is not right or has expired; sign in again for a new one."
