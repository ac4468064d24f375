"""The sandboxes' control surface (mounted only while PROVIDERS_SANDBOX is on)."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.models import SandboxPayment
from payments.providers.sandbox import complete_payment


class OutcomeSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["success", "failed"])
    last4 = serializers.RegexField(r"^[0-9]{4}$", required=False, help_text="The test card paid with (cards only).")


class _SandboxApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def record(self, provider: str, reference: str) -> SandboxPayment:
        record = SandboxPayment.objects.filter(provider=provider, kind="charge", reference=reference).first()
        if record is None:
            raise Http404
        return record


@extend_schema(exclude=True)
class SandboxCheckoutPage(_SandboxApi):
    renderer_classes = (JSONRenderer,)

    def get(self, request: Request, provider: str, reference: str) -> HttpResponse:
        record = self.record(provider, reference)
        return render(request, "payments/sandbox_checkout.html", {"record": record, "provider": provider})


@extend_schema(exclude=True)
class SandboxCompleteChargeApi(_SandboxApi):
    parser_classes = (JSONParser, FormParser)

    def post(self, request: Request, provider: str, reference: str) -> HttpResponse | Response:
        data = OutcomeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = self.record(provider, reference)
        if data.validated_data.get("last4") and record.status == "pending":
            record.details = {**record.details, "last4": data.validated_data["last4"]}
            record.save(update_fields=["details"])
        record = complete_payment(record=record, outcome=data.validated_data["outcome"])
        if request.content_type.startswith("application/x-www-form-urlencoded"):
            return render(request, "payments/sandbox_checkout.html", {"record": record, "provider": provider})
        return Response({"reference": record.reference, "status": record.status}, status=202)
