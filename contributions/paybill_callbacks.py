"""Daraja's C2B callbacks to our paybill: the confirmation (a customer paid) and the validation (may they?).

Daraja signs nothing and cannot send headers of ours, so both URLs carry a secret token (`MPESA_C2B_TOKEN`); a
request without it changes nothing. Daraja expects `{"ResultCode": 0, ...}` back; anything else makes it retry.
"""

import secrets

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import services
from core.errors import ApplicationError, WebhookRejectedError
from payments.providers.mpesa.adapter import parse_c2b_confirmation


class BadCallbackError(ApplicationError):
    code = "validation_error"
    message = "Not a C2B callback."


def _check(token: str) -> None:
    if not secrets.compare_digest(token.encode(), settings.MPESA_C2B_TOKEN.encode()):
        raise WebhookRejectedError("This callback URL's token is not ours.")


def receive_confirmation(body: bytes) -> dict:
    """Record (once) and apply a confirmed paybill payment; what Daraja is answered."""
    try:
        confirmation = parse_c2b_confirmation(body)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise BadCallbackError() from exc
    services.receive_paybill_payment(confirmation=confirmation)
    return {"ResultCode": 0, "ResultDesc": "Accepted"}


@extend_schema(exclude=True)  # Daraja's, not a client's
class PaybillConfirmationCallback(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request: Request, token: str) -> Response:
        _check(token)
        return Response(receive_confirmation(request.body))


@extend_schema(exclude=True)
class PaybillValidationCallback(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def post(self, request: Request, token: str) -> Response:
        _check(token)
        bill_ref = request.data.get("BillRefNumber", "") if isinstance(request.data, dict) else ""
        if services.accepts_paybill_account(str(bill_ref)):
            return Response({"ResultCode": "0", "ResultDesc": "Accepted"})
        return Response({"ResultCode": "C2B00012", "ResultDesc": "Rejected: no group has that account number"})
