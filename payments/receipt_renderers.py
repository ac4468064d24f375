"""Downloads of a wallet movement's receipt (PDF) and of a wallet statement (CSV, PDF), with `?format=` or the
Accept header, drawn with reportlab as the group statements and bill receipts are. An error answer, or anything
else that is not a receipt or a statement (an OPTIONS description), stays JSON."""

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from rest_framework.renderers import BaseRenderer
from rest_framework.utils import encoders

from core.statement_documents import spreadsheet_safe
from core.statement_documents import statement_pdf as document_pdf


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower() or "wallet"


class _DownloadRenderer(BaseRenderer):
    marker = ""  # a key only the document's data has

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        response = (renderer_context or {}).get("response")
        is_document = isinstance(data, dict) and self.marker in data
        if response is not None and (response.status_code >= 400 or not is_document):
            response["Content-Type"] = "application/json"
            return json.dumps(data, cls=encoders.JSONEncoder).encode()
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="{self.filename(data)}.{self.format}"'
        return self.encode(data)

    def filename(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def encode(self, data: dict[str, Any]) -> bytes:
        raise NotImplementedError


# --- a movement's receipt -----------------------------------------------------------------------------------------

RECEIPT_LABELS = [
    ("receipt_number", "Receipt"),
    ("holder", "Wallet holder"),
    ("kind_label", "Transaction"),
    ("status", "Status"),
    ("amount", "Amount"),
    ("fee", "Fee"),
    ("counterparty", "Counterparty"),
    ("note", "Note"),
    ("provider", "Provider"),
    ("provider_reference", "Provider reference"),
    ("receipt_code", "M-Pesa receipt"),
    ("reference", "Reference"),
    ("created_at", "Date"),
    ("issued_at", "Issued"),
]


def _counterparty_text(counterparty: dict[str, str] | None) -> str:
    if not counterparty:
        return ""
    return " · ".join(part for part in (counterparty.get("name"), counterparty.get("detail")) if part)


def receipt_pdf(data: dict[str, Any]) -> bytes:
    """A movement's receipt on an A5 page."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A5, title=f"Receipt {data['receipt_number']}", author="Pamoja")
    currency = data["currency"]
    shown = {
        **data,
        "amount": f"{currency} {data['amount']}",
        "fee": f"{currency} {data['fee']}" if data.get("fee") not in (None, "", "0.00", "0") else "",
        "counterparty": _counterparty_text(data.get("counterparty")),
    }
    rows = [
        [label, Paragraph(escape(str(shown[key])), styles["BodyText"])]
        for key, label in RECEIPT_LABELS
        if shown.get(key)
    ]
    table = Table(rows, colWidths=[110, 240])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef5f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    document.build([Paragraph("Pamoja wallet receipt", styles["Title"]), Spacer(1, 8), table])
    return buffer.getvalue()


class WalletReceiptPdfRenderer(_DownloadRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"
    marker = "receipt_number"

    def filename(self, data: dict[str, Any]) -> str:
        return f"receipt-{data['receipt_number']}"

    def encode(self, data: dict[str, Any]) -> bytes:
        return receipt_pdf(data)


# --- a statement --------------------------------------------------------------------------------------------------


def statement_csv(data: dict[str, Any]) -> str:
    """A header row, an opening row, one row per movement, a closing row: the balances read down the last column."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "kind", "description", "reference", "amount", "balance", "currency"])
    currency = data["currency"]
    writer.writerow([data["start"], "opening_balance", "Opening balance", "", "", data["opening_balance"], currency])
    for m in data["movements"]:
        writer.writerow(
            [
                m["date"],
                m.get("label") or m["kind"],
                spreadsheet_safe(m["description"]),
                m["reference"],
                m["amount"],
                m["balance"],
                currency,
            ]
        )
    writer.writerow([data["end"], "closing_balance", "Closing balance", "", "", data["closing_balance"], currency])
    return out.getvalue()


def statement_pdf(data: dict[str, Any]) -> bytes:
    """The statement on A4: holder and period, opening balance, movements with running balance, closing balance,
    money in and out, totals by kind."""
    currency = data["currency"]
    labels = data.get("total_labels", {})
    return document_pdf(
        title=data["title"],
        subtitle=f"{data['holder']} · {data['start']} to {data['end']} ({data['time_zone']}) · {currency}",
        currency=currency,
        opening_balance=data["opening_balance"],
        movements=data["movements"],
        closing_balance=data["closing_balance"],
        closing_note=f"Money in {currency} {data['money_in']} · money out {currency} {data['money_out']}",
        totals=[(labels.get(kind, kind), amount) for kind, amount in data["totals"].items()],
    )


class _StatementRenderer(_DownloadRenderer):
    marker = "movements"

    def filename(self, data: dict[str, Any]) -> str:
        return f"wallet-statement-{_slug(data['holder'])}-{data['currency']}-{data['start']}-{data['end']}"


class WalletStatementCsvRenderer(_StatementRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def encode(self, data: dict[str, Any]) -> bytes:
        return statement_csv(data).encode()


class WalletStatementPdfRenderer(_StatementRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def encode(self, data: dict[str, Any]) -> bytes:
        return statement_pdf(data)
