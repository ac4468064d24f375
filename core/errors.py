"""The one error shape: `{"error": {"code", "message", "details"}}`, for every error the API returns.

Domain code raises an `ApplicationError` subclass; DRF's own exceptions, Django's 404/permission errors and
anything unexpected are translated here, so no view ever builds an error body by hand.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.request_context import current_request_id

logger = logging.getLogger("pamoja.errors")


class ApplicationError(Exception):
    """A domain error: a stable machine code, a human message, an HTTP status and optional details."""

    code: str = "application_error"
    message: str = "The request could not be completed."
    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, message: str | None = None, *, details: dict[str, Any] | None = None, retry_after: int | None = None
    ):
        self.message = message or self.message
        self.details = details or {}
        self.retry_after = retry_after
        if retry_after is not None:
            self.details.setdefault("retry_after", retry_after)
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    code = "not_found"
    message = "Not found."
    status_code = status.HTTP_404_NOT_FOUND


class PermissionDeniedError(ApplicationError):
    code = "permission_denied"
    message = "You do not have permission to perform this action."
    status_code = status.HTTP_403_FORBIDDEN


class ConflictError(ApplicationError):
    code = "conflict"
    message = "The request conflicts with the current state."
    status_code = status.HTTP_409_CONFLICT


class InsufficientFundsError(ApplicationError):
    code = "insufficient_funds"
    message = "The balance is too low for this amount."
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


class ProviderUnavailableError(ApplicationError):
    code = "provider_unavailable"
    message = "The payment provider is unavailable; try again shortly."
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class WebhookRejectedError(ApplicationError):
    code = "signature_invalid"
    message = "Webhook signature missing or invalid."
    status_code = status.HTTP_401_UNAUTHORIZED


class LimitExceededError(ApplicationError):
    code = "limit_exceeded"
    message = "This is over your limit."
    status_code = status.HTTP_403_FORBIDDEN


class ServiceUnavailableError(ApplicationError):
    code = "service_unavailable"
    message = "The service is not ready."
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database connection failed mid-request (dropped, refused, a server restart). The request's transaction
    rolled back, or, if the connection failed during the commit itself, may have committed: either way the same
    Idempotency-Key, sent again, takes effect once (its record is written in the same transaction as the effect)."""

    message = (
        "The database could not be reached. Try again shortly; a money request sent again with the same "
        "Idempotency-Key takes effect at most once."
    )
    retry_after_seconds = 1


# DRF exception class → our code. Anything else keeps DRF's own code.
DRF_ERROR_CODES: dict[type[drf_exceptions.APIException], str] = {
    drf_exceptions.ValidationError: "validation_error",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.AuthenticationFailed: "not_authenticated",
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _drf_code(exc: drf_exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in DRF_ERROR_CODES:
            return DRF_ERROR_CODES[cls]
    return exc.default_code if isinstance(exc.default_code, str) else "error"


def _validation_details(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def _first_message(detail: Any) -> str | None:
    if isinstance(detail, dict):
        for value in detail.values():
            found = _first_message(value)
            if found:
                return found
    elif isinstance(detail, list):
        for value in detail:
            found = _first_message(value)
            if found:
                return found
    elif detail:
        return str(detail)
    return None


def server_error_body() -> dict[str, Any]:
    request_id = current_request_id()
    return error_body(
        "server_error",
        "Something went wrong on our side. Quote the request id if you contact support.",
        {"request_id": request_id} if request_id else {},
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view leaves as the one error shape."""
    if isinstance(exc, ApplicationError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code, headers=headers)

    if isinstance(exc, OperationalError | InterfaceError):  # the database, not the request: worth a retry
        logger.error(
            "Database unavailable in %s: %s", _view_name(context), exc, exc_info=(type(exc), exc, exc.__traceback__)
        )
        unavailable = DatabaseUnavailableError(retry_after=DatabaseUnavailableError.retry_after_seconds)
        return exception_handler(unavailable, context)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):  # a model's full_clean() in a service: the caller's input
        exc = drf_exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )

    response = drf_exception_handler(exc, context)  # keeps WWW-Authenticate, Retry-After and the like
    if response is None or not isinstance(exc, drf_exceptions.APIException):  # DRF answers only its own exceptions
        logger.error("Unhandled exception in %s", _view_name(context), exc_info=(type(exc), exc, exc.__traceback__))
        return Response(server_error_body(), status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    code = _drf_code(exc)
    if code == "validation_error":
        details = _validation_details(exc.detail)
        message = "Invalid input." if len(details) != 1 else (_first_message(details) or "Invalid input.")
    else:
        details = {}
        message = str(exc.detail) if not isinstance(exc.detail, list | dict) else (_first_message(exc.detail) or "")
        if isinstance(exc, drf_exceptions.Throttled):
            wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by Throttled.__init__; not in the stubs
            if wait is not None:
                details = {"retry_after": int(wait) + (wait % 1 > 0)}
    response.data = error_body(code, message, details)
    return response


def _view_name(context: dict[str, Any]) -> str:
    return context["view"].__class__.__name__ if context.get("view") else "view"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: the error shape under /api/, Django's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler, for failures outside DRF views (middleware, non-API views)."""
    if _is_api(request):
        return JsonResponse(server_error_body(), status=500)
    from django.views.defaults import server_error

    return server_error(request)
