"""Public endpoints the providers call. Each stores the raw delivery, checks the signature (401 when it fails,
nothing changed), confirms the event with the provider's API where it can (503 when the API cannot be reached, so
the provider delivers again) and answers 200 once the event is handled, or was handled before. A body holding NUL
characters is refused with 400. An M-Pesa callback that comes before the request that opened its payment has
committed is looked for a moment, then answered 503 (deliver it again) rather than refused."""

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.raw_body import RawBodyParser
from core.errors import ServiceUnavailableError, WebhookRejectedError
from payments.providers.base import WebhookSignatureError
from payments.services.webhooks import CallbackNotYetKnown, receive_webhook

_ApiClass = TypeVar("_ApiClass", bound=type[APIView])
EARLY_CALLBACK_RETRY_AFTER = 5  # seconds


def _without_nul(depth: int) -> dict[str, Any]:
    """Any JSON value whose strings, `depth` levels of objects and arrays down, hold no NUL character."""
    schema = {"nullable": True, "pattern": r"^[^\x00]*$"}
    if depth:
        schema["items"] = schema["additionalProperties"] = _without_nul(depth - 1)
    return schema


# What a provider delivers: a JSON object with no NUL character in it (400 otherwise). The schema can say so of the
# values (to the depth the providers' bodies go); of the keys it cannot (OpenAPI 3.0 has no `propertyNames`).
_BODY = {
    "type": "object",
    "description": "The provider's event, as it documents it. No NUL character (`\\u0000`) anywhere in it.",
    "additionalProperties": _without_nul(5),
}


class _WebhookApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = (RawBodyParser,)
    provider = ""

    def receive(self, request: Request, token: str = "") -> None:
        body = request.data if isinstance(request.data, bytes) else b""  # DRF gives {} for an empty body
        try:
            receive_webhook(provider=self.provider, headers=request.headers, body=body, callback_token=token)
        except WebhookSignatureError as exc:
            raise WebhookRejectedError() from exc
        except CallbackNotYetKnown as exc:
            raise ServiceUnavailableError(
                "No payment with this callback token is recorded yet; deliver the callback again shortly.",
                retry_after=EARLY_CALLBACK_RETRY_AFTER,
            ) from exc


_ACK = inline_serializer("WebhookAck", {"status": serializers.CharField()})
_REJECTED = OpenApiResponse(description="`signature_invalid`: the signature is missing or wrong; nothing changed.")
_NUL = OpenApiResponse(description="`validation_error`: the body holds NUL characters; nothing changed.")
_UNCONFIRMED = OpenApiResponse(
    description="`provider_unavailable`: the provider's API could not be asked to confirm the event; nothing "
    "changed, deliver it again later."
)

_EARLY = OpenApiResponse(
    description="`provider_unavailable`: the provider's API could not be asked to confirm the event; or "
    "`service_unavailable`: no payment with this token is recorded yet (the request that opened it has not "
    "committed). Nothing changed; deliver it again later (`Retry-After`)."
)


class _SignedWebhookApi(_WebhookApi):
    def post(self, request: Request) -> Response:
        self.receive(request)
        return Response({"status": "ok"})


def _signed_schema(summary: str) -> Callable[[_ApiClass], _ApiClass]:
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            request={"application/json": _BODY},
            responses={200: _ACK, 400: _NUL, 401: _REJECTED, 503: _UNCONFIRMED},
            auth=[],
        )
    )


@_signed_schema("Paystack events (x-paystack-signature: HMAC-SHA512 of the body)")
class PaystackWebhookApi(_SignedWebhookApi):
    provider = "paystack"


@_signed_schema("Flutterwave events (verif-hash header)")
class FlutterwaveWebhookApi(_SignedWebhookApi):
    provider = "flutterwave"


class MpesaWebhookApi(_WebhookApi):
    provider = "mpesa"

    @extend_schema(
        summary="M-Pesa Daraja STK and B2C results (the URL's token authenticates them)",
        request={"application/json": _BODY},
        responses={
            200: inline_serializer(
                "MpesaAck", {"ResultCode": serializers.IntegerField(), "ResultDesc": serializers.CharField()}
            ),
            400: _NUL,
            401: _REJECTED,
            503: _EARLY,
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> Response:
        self.receive(request, token=token)
        return Response({"ResultCode": 0, "ResultDesc": "Accepted"})
