"""Public endpoints the providers call. Each stores the raw delivery, checks the signature (401 when it fails,
nothing changed) and answers 200 once the event is handled, or was handled before."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.errors import WebhookRejectedError
from config.raw_body import RawBodyParser
from payments.providers.base import WebhookSignatureError
from payments.services.webhooks import receive_webhook


class _WebhookApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = (RawBodyParser,)
    provider = ""

    def receive(self, request, token: str = "") -> None:
        try:
            receive_webhook(provider=self.provider, headers=request.headers, body=request.data, callback_token=token)
        except WebhookSignatureError as exc:
            raise WebhookRejectedError() from exc


_ACK = inline_serializer("WebhookAck", {"status": serializers.CharField()})
_REJECTED = OpenApiResponse(description="`signature_invalid`: the signature is missing or wrong; nothing changed.")


class _SignedWebhookApi(_WebhookApi):
    def post(self, request):
        self.receive(request)
        return Response({"status": "ok"})


def _signed_schema(summary: str):
    return extend_schema_view(
        post=extend_schema(
            summary=summary,
            request={"application/json": {"type": "object"}},
            responses={200: _ACK, 401: _REJECTED},
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
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer(
                "MpesaAck", {"ResultCode": serializers.IntegerField(), "ResultDesc": serializers.CharField()}
            ),
            401: _REJECTED,
        },
        auth=[],
    )
    def post(self, request, token: str):
        self.receive(request, token=token)
        return Response({"ResultCode": 0, "ResultDesc": "Accepted"})
