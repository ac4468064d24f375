"""The USSD gateway's callback (Africa's Talking): a form post per step of a dial, answered in plain text that the
gateway shows the caller (`CON …` to go on, `END …` to close). The gateway signs nothing, and a request naming a
customer's phone could read their reward codes, so the URL carries our secret (`USSD_CALLBACK_TOKEN`): any other is
404, nothing stored. A body that is no step of a dial (no session id, no phone number) is 400, which the gateway
takes as the end of the dial."""

import hmac
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from core.errors import NotFoundError
from loyalty.channels import ussd
from loyalty.channels.ussd_serializers import UssdStepInputSerializer


class UssdCallbackApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()  # every dial comes from the gateway's few addresses
    parser_classes = (FormParser, MultiPartParser)
    openapi_tag = "loyalty"

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """Whatever the gateway says it accepts (`Accept`), a step is answered in plain text and an error in the error
        shape, never 406."""
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="Africa's Talking USSD: one step of a dial (the URL's token authenticates the gateway)",
        description=(
            "Answers `text/plain`: `CON ` and the next screen, or `END ` and the last (at most 182 characters). "
            "A service code no tenant has gets `END This service is not available.`"
        ),
        request={
            "application/x-www-form-urlencoded": UssdStepInputSerializer,
            "multipart/form-data": UssdStepInputSerializer,
        },
        responses={
            (200, "text/plain"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description="The screen to show.",
                examples=[OpenApiExample("Home", value="CON Duka Bora\n1 Balance\n2 My rewards\n3 Redeem\n4 Language")],
            ),
            400: OpenApiResponse(description="`validation_error`: no session id, service code or valid phone number."),
            404: OpenApiResponse(description="`not_found`: not our callback URL (a wrong token); nothing stored."),
        },
        auth=[],
    )
    def post(self, request: Request, token: str) -> HttpResponse:
        if not hmac.compare_digest(token.encode(), settings.USSD_CALLBACK_TOKEN.encode()):
            raise NotFoundError()
        data = UssdStepInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        step = data.validated_data
        answer = ussd.answer_step(
            session_id=step["sessionId"],
            service_code=step["serviceCode"],
            phone=step["phoneNumber"],
            text=step.get("text", ""),
        )
        return HttpResponse(answer, content_type="text/plain; charset=utf-8")
