"""The M-Pesa sandbox's customer paying our paybill (with PROVIDERS_SANDBOX on): it sends Daraja's own C2B
confirmation body to the same handler the real callback reaches, so the whole path runs on one machine."""

import json
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions.paybill_callbacks import receive_confirmation


@extend_schema(exclude=True)
class SandboxPaybillPayment(APIView):
    """`{"account": "ABC123", "amount": "1000", "phone_number": "+2547…"}`: a customer pays the paybill."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        trans_id = str(data.get("trans_id") or "SBX" + secrets.token_hex(4).upper())
        body = {
            "TransactionType": "Pay Bill",
            "TransID": trans_id,
            "TransTime": datetime.now(ZoneInfo("Africa/Nairobi")).strftime("%Y%m%d%H%M%S"),
            "TransAmount": str(data.get("amount", "")),
            "BusinessShortCode": settings.MPESA_SHORTCODE,
            "BillRefNumber": str(data.get("account", "")),
            "InvoiceNumber": "",
            "OrgAccountBalance": "",
            "ThirdPartyTransID": "",
            "MSISDN": str(data.get("phone_number", "")).lstrip("+"),
            "FirstName": "Sandbox",
            "MiddleName": "",
            "LastName": "Customer",
        }
        answer = receive_confirmation(json.dumps(body).encode())
        return Response({**answer, "TransID": trans_id})
