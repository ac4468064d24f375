"""Flutterwave's sandbox: card checkouts that wait for Pay or Decline, and Flutterwave's own webhooks (`verif-hash`)."""

import json

from django.conf import settings

from payments.models import SandboxPayment
from payments.providers.flutterwave.adapter import card_authorization
from payments.providers.sandbox import ProviderSandbox


class FlutterwaveSandbox(ProviderSandbox):
    name = "flutterwave"

    @classmethod
    def card_authorization(cls, record: SandboxPayment) -> dict[str, object]:
        """Flutterwave's `data.card` for the sandbox's test card, read as the real adapter reads it."""
        last4 = record.details.get("last4") or "2950"  # a checkout paid with another test card names it
        return (
            card_authorization(
                {
                    "first_6digits": "553188",
                    "last_4digits": last4,
                    "issuer": "MASTERCARD CREDIT",
                    "country": "NG",
                    "type": "MASTERCARD",
                    "expiry": "09/32",
                    "token": record.details.get("authorization_code") or f"flw-t1nf-sbx{record.pk}-m03k",
                }
            )
            or {}
        )

    @classmethod
    def webhook_for(cls, record: SandboxPayment) -> tuple[str, bytes, dict[str, str]]:
        ok = record.status == "succeeded"
        if record.kind == "charge":
            payload = {
                "event": "charge.completed",
                "data": {
                    "id": record.pk,
                    "tx_ref": record.reference,
                    "flw_ref": record.provider_reference,
                    "amount": float(record.amount),
                    "currency": record.currency,
                    "status": "successful" if ok else "failed",
                },
            }
        else:
            payload = {
                "event": "transfer.completed",
                "event.type": "Transfer",
                "data": {
                    "id": record.pk,
                    "reference": record.reference,
                    "amount": float(record.amount),
                    "currency": record.currency,
                    "status": "SUCCESSFUL" if ok else "FAILED",
                    "complete_message": "Successful" if ok else "Account resolve failed",
                },
            }
        body = json.dumps(payload).encode()
        return (
            f"{settings.SITE_URL}/api/v1/webhooks/flutterwave/",
            body,
            {"verif-hash": settings.FLUTTERWAVE_SECRET_HASH},
        )
