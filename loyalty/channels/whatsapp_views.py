"""The WhatsApp Cloud API webhook, public (Meta calls it): `GET` answers Meta's subscription check, `POST` takes
signed deliveries. Thin: `loyalty.channels.whatsapp` does the work."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.raw_body import RawBodyParser
from loyalty.channels.whatsapp import MAX_CHALLENGE, receive_delivery, verify_subscription

# What Meta delivers: a JSON object (`object`, `entry[].changes[].value`, …); anything else is stored and ignored.
_DELIVERY = {
    "type": "object",
    "description": "A WhatsApp Cloud API webhook delivery as Meta documents it (messages and status updates), "
    "signed with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`.",
    "additionalProperties": True,
}
_ACK = inline_serializer(
    "WhatsAppWebhookAck",
    {"status": serializers.ChoiceField(choices=["ok", "ignored"], help_text="`ignored`: nothing in it was ours.")},
)
_REJECTED = OpenApiResponse(
    description="`signature_invalid`: `X-Hub-Signature-256` is missing or wrong; nothing changed but the raw "
    "delivery being kept."
)
_NOT_VERIFIED = OpenApiResponse(
    description="`verification_failed`: `hub.mode` is not `subscribe`, or `hub.verify_token` is not ours."
)


def _query(name: str, description: str, schema: dict[str, object]) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=True, description=description)


class WhatsAppWebhookApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = (RawBodyParser,)

    @extend_schema(
        summary="WhatsApp: Meta's subscription check (echoes hub.challenge)",
        parameters=[
            _query("hub.mode", "Always `subscribe`.", {"type": "string", "enum": ["subscribe"]}),
            _query(
                "hub.verify_token",
                "The verify token set in Meta's app dashboard (WHATSAPP_VERIFY_TOKEN).",
                {"type": "string"},
            ),
            _query(
                "hub.challenge",
                "Echoed back as plain text when the token matches.",
                {"type": "string", "minLength": 1, "maxLength": MAX_CHALLENGE},
            ),
        ],
        responses={(200, "text/plain"): OpenApiTypes.STR, 403: _NOT_VERIFIED},
        auth=[],
    )
    def get(self, request: Request) -> HttpResponse:
        challenge = verify_subscription(
            mode=request.query_params.get("hub.mode"),
            token=request.query_params.get("hub.verify_token"),
            challenge=request.query_params.get("hub.challenge"),
        )
        return HttpResponse(challenge, content_type="text/plain; charset=utf-8")

    @extend_schema(
        summary="WhatsApp: messages and status updates (X-Hub-Signature-256)",
        request={"application/json": _DELIVERY},
        responses={200: _ACK, 401: _REJECTED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, bytes) else b""  # DRF gives {} for an empty body
        return Response({"status": receive_delivery(headers=request.headers, body=body)})
