"""`money_endpoint`: the one recipe for an API view method that moves money, in any app.

    class TransferApi(APIView):
        @money_endpoint(summary="Send money", request=TransferInputSerializer, responses={201: ...})
        def post(self, request):
            data = TransferInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            require_pin(request)
            ...

It applies the Idempotency-Key rules (a replay answers before anything else runs, so before any PIN check; see
`payments.idempotency`) and documents the `Idempotency-Key` and `X-Pin-Token` headers and the error answers every
money endpoint shares. The view calls `require_pin(request)` itself, once the request is known to be valid and
its objects found: a bad request then answers 400 or 404 and never spends a token. Limits by KYC tier are checked
by the payments services that move the money.
"""

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import authorize_money_movement
from accounts.signed_in import signed_in_user
from payments.errors import VelocityLimitedError
from payments.idempotency import HEADER as IDEMPOTENCY_HEADER
from payments.idempotency import idempotent
from payments.services.velocity import record_velocity_refusal

PIN_HEADER = "X-Pin-Token"
DEVICE_HEADER = "X-Device-Id"

IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A UUID you generate per operation.",
)
PIN_TOKEN = OpenApiParameter(
    PIN_HEADER, str, OpenApiParameter.HEADER, required=True, description="From `auth/pin/verify/`; single use."
)
DEVICE_ID = OpenApiParameter(
    DEVICE_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "A stable id of this app install or browser, made once by the client and sent on every request. Velocity "
        "limits count transfers and withdrawals per device too, and a large withdrawal from a device not used "
        "before (or without this header) is held for review."
    ),
)
MONEY_ERRORS = {
    403: OpenApiResponse(description="`email_not_verified` or `pin_required`."),
    409: OpenApiResponse(description="`idempotency_key_in_use`: the first request with this key is still running."),
    422: OpenApiResponse(description="`insufficient_funds`, or `idempotency_key_reused` with another body."),
}
NO_PIN_ERRORS = {
    409: MONEY_ERRORS[409],
    422: OpenApiResponse(description="`idempotency_key_reused` with another body."),
}


_View = TypeVar("_View", bound=APIView)
_Params = ParamSpec("_Params")


def money_endpoint(
    *,
    pin: bool = True,
    responses: dict[int, Any] | None = None,
    answer_after_commit: Callable[[Request, Response], Response] | None = None,
    **schema: Any,
) -> Callable[
    [Callable[Concatenate[_View, Request, _Params], Response]], Callable[Concatenate[_View, Request, _Params], Response]
]:
    """Idempotency plus the OpenAPI parameters and errors of a money endpoint; `pin=False` for one that moves no
    money out of a wallet (a deposit: the money comes in from the provider). Entries in `responses` override the
    shared ones for their status code.

    `answer_after_commit(request, response)` rewrites a successful answer once the request's transaction has
    committed and its on-commit work has run, the first time and on every replay: for an effect that goes on after
    commit (a bill purchase sent to the provider), the client is told what it came to, not what it was at commit."""

    def decorate(
        handler: Callable[Concatenate[_View, Request, _Params], Response],
    ) -> Callable[Concatenate[_View, Request, _Params], Response]:
        shared = MONEY_ERRORS if pin else NO_PIN_ERRORS
        documented = extend_schema(
            parameters=[IDEMPOTENCY_KEY, PIN_TOKEN, DEVICE_ID] if pin else [IDEMPOTENCY_KEY, DEVICE_ID],
            responses={**shared, **(responses or {})},
            **schema,
        )
        once = _keeping_velocity_refusals(idempotent(handler))
        if answer_after_commit is None:
            return documented(once)
        rewrite = answer_after_commit

        @functools.wraps(once)
        def answered(view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs) -> Response:
            response = once(view, request, *args, **kwargs)
            return rewrite(request, response) if 200 <= response.status_code < 300 else response

        return documented(answered)

    return decorate


def _keeping_velocity_refusals(
    once: Callable[Concatenate[_View, Request, _Params], Response],
) -> Callable[Concatenate[_View, Request, _Params], Response]:
    """A velocity refusal raised out of the request's transaction was rolled back with it: keep it for staff."""

    @functools.wraps(once)
    def kept(view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs) -> Response:
        try:
            return once(view, request, *args, **kwargs)
        except VelocityLimitedError as exc:
            record_velocity_refusal(error=exc)
            raise

    return kept


def device_id_of(request: Request) -> str:
    """The client's `X-Device-Id` (empty when it sent none: an unknown device)."""
    return request.headers.get(DEVICE_HEADER, "")


def require_pin(request: Request) -> None:
    """The gate before money leaves a wallet: a verified, active account and a fresh PIN token, spent here (in the
    request's transaction: if the request fails, the token stays unspent)."""
    authorize_money_movement(user=signed_in_user(request), pin_token=request.headers.get(PIN_HEADER))
