"""Paystack's sandbox: card checkouts that wait for Pay or Decline, and Paystack's own signed webhooks."""

import hashlib
import hmac
import json

from django.conf import settings

from core.money import to_minor_units
from payments.models import SandboxPayment
from payments.providers.sandbox import ProviderSandbox


class PaystackSandbox(ProviderSandbox):
    name = "paystack"

    @classmethod
    def card_authorization(cls, record: SandboxPayment) -> dict[str, object]:
        """The reusable authorization Paystack returns for a card payment (the sandbox's test card)."""
        last4 = record.details.get("last4") or "4081"  # a checkout paid with another test card names it
        signature = f"SIG_sbx_{record.details.get('email', '')}" + ("" if last4 == "4081" else f"_{last4}")
        return {
            "authorization_code": record.details.get("authorization_code") or f"AUTH_sbx{record.pk}",
            "last4": last4,
            "exp_month": "12",
            "exp_year": "2030",
            "card_type": "visa",
            "brand": "visa",
            "signature": signature,
            "reusable": True,
            "bank": "Sandbox Bank",
        }

    @classmethod
    def webhook_for(cls, record: SandboxPayment) -> tuple[str, bytes, dict[str, str]]:
        ok = record.status == "succeeded"
        if record.kind == "charge":
            event = "charge.success" if ok else "charge.failed"
        else:
            event = "transfer.success" if ok else "transfer.failed"
        data = {
            "id": record.pk,
            "reference": record.reference,
            "amount": to_minor_units(record.amount, record.currency),
            "currency": record.currency,
            "status": "success" if ok else "failed",
            "gateway_response": "Approved" if ok else "Declined",
        }
        if record.kind == "charge":
            data["customer"] = {"email": record.details.get("email", "")}
            data["authorization"] = cls.card_authorization(record)
        else:
            data["transfer_code"] = record.provider_reference
        body = json.dumps({"event": event, "data": data}).encode()
        signature = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
        return f"{settings.SITE_URL}/api/v1/webhooks/paystack/", body, {"x-paystack-signature": signature}
