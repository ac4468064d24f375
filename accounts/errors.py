from rest_framework import status

from config.errors import ApplicationError


class InvalidCredentialsError(ApplicationError):
    code = "invalid_credentials"
    message = "The email or password is not right."
    status_code = status.HTTP_401_UNAUTHORIZED


class InvalidRefreshTokenError(ApplicationError):
    code = "token_invalid"
    message = "The refresh token is invalid, expired or already used."
    status_code = status.HTTP_401_UNAUTHORIZED
