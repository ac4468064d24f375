"""A bill order's receipt: what the buyer shows a landlord or keeps for their records, as JSON and as a PDF."""

import io
import json
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from rest_framework.renderers import BaseRenderer
from rest_framework.utils import encoders

from billpay.models import BillOrder


def order_receipt(order: BillOrder) -> dict[str, Any]:
    """Every fact about the purchase a receipt carries; the token only once delivered."""
    return {
        "receipt_number": str(order.pk),
        "status": order.outcome,
        "refunded": order.refunded,
        "service": order.biller.slug,
        "service_name": order.biller.name,
        "category": order.biller.category.code,
        "plan": order.variation.name if order.variation else "",
        "customer_id": order.customer_id,
        "customer_name": order.customer_name,
        "amount": str(order.amount),
        "currency": order.currency,
        "token": order.token,
        "units": order.units,
        "request_id": order.request_id,
        "provider_reference": _provider_reference(order),
        "paid_from": "wallet",
        "created_at": order.created_at.isoformat(),
        "delivered_at": order.delivered_at.isoformat() if order.delivered_at else None,
    }


def _provider_reference(order: BillOrder) -> str:
    last = order.provider_response.get("last") or {}
    transactions = (last.get("content") or {}).get("transactions") or {}
    return str(transactions.get("transactionId") or "") if isinstance(transactions, dict) else ""


LABELS = [
    ("receipt_number", "Receipt"),
    ("status", "Status"),
    ("service_name", "Service"),
    ("plan", "Plan"),
    ("customer_id", "Number"),
    ("customer_name", "Customer"),
    ("amount", "Amount"),
    ("token", "Token"),
    ("units", "Units"),
    ("request_id", "Request id"),
    ("provider_reference", "Provider reference"),
    ("created_at", "Paid at"),
    ("delivered_at", "Delivered at"),
]


def receipt_pdf(data: dict[str, Any]) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A5, title=f"Receipt {data['receipt_number']}", author="Pamoja")
    shown = {**data, "amount": f"{data['currency']} {data['amount']}"}
    if data["refunded"]:
        shown["status"] = f"{data['status']} (money returned to the wallet)"
    rows = [[label, Paragraph(str(shown[key]), styles["BodyText"])] for key, label in LABELS if shown.get(key)]
    table = Table(rows, colWidths=[100, 250])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef5f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    document.build([Paragraph("Pamoja bill payment receipt", styles["Title"]), Spacer(1, 8), table])
    return buffer.getvalue()


class ReceiptPdfRenderer(BaseRenderer):
    """`?format=pdf` (or `Accept: application/pdf`) on a receipt. An error stays the JSON error shape."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None and (response.status_code >= 400 or "receipt_number" not in (data or {})):
            response["Content-Type"] = "application/json"
            return json.dumps(data, cls=encoders.JSONEncoder).encode()
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="receipt-{data["receipt_number"]}.pdf"'
        return receipt_pdf(data)
