"""The statement as a document, shared by group statements and wallet statements: the A4 PDF (holder and period,
opening balance, movements with their running balance, closing balance, totals) and the CSV cell guard."""

import io
from collections.abc import Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

GREEN = colors.HexColor("#1f6f50")


def spreadsheet_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (a memo, a group's or a member's name someone typed)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def statement_pdf(
    *,
    title: str,
    subtitle: str,
    currency: str,
    opening_balance: str,
    movements: Iterable[dict[str, Any]],
    closing_balance: str,
    closing_note: str,
    totals: Sequence[tuple[str, str]],
) -> bytes:
    """`movements` are a statement's rows (`date`, `label` or `kind`, `description`, `amount`, `balance`); every
    text a person typed is escaped."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=title, author="Pamoja")
    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(escape(subtitle), styles["Normal"]),
        Spacer(1, 12),
        Paragraph(f"Opening balance: {currency} {opening_balance}", styles["Normal"]),
        Spacer(1, 6),
    ]
    rows: list[list[Any]] = [["Date", "Type", "Description", "Amount", "Balance"]] + [
        [
            m["date"][:10],
            Paragraph(escape(m.get("label") or m["kind"]), styles["BodyText"]),
            Paragraph(escape(m["description"]), styles["BodyText"]),
            m["amount"],
            m["balance"],
        ]
        for m in movements
    ]
    table = Table(rows, colWidths=[62, 80, 190, 70, 70], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), GREEN),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("ALIGN", (3, 0), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 12),
        Paragraph(f"Closing balance: {currency} {closing_balance}", styles["Heading3"]),
        Paragraph(escape(closing_note), styles["Normal"]),
    ]
    if totals:
        rows_of_totals = [["Totals", ""], *([label, amount] for label, amount in totals)]
        story.append(Table(rows_of_totals, colWidths=[200, 100], style=[("ALIGN", (1, 0), (1, -1), "RIGHT")]))
    document.build(story)
    return buffer.getvalue()
