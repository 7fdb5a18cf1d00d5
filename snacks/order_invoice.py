"""An order's invoice as a PDF (reportlab), made when its hold is captured.

Amounts are formatted from minor units (`kit.currencies.format_minor`), never
through a float; reportlab's invariant mode makes the same order render the same
bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kit.currencies import format_minor
from snacks.models import Order

CONTENT_TYPE: Final = "application/pdf"
_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13)
_TITLE = ParagraphStyle("title", parent=_BODY, fontName="Helvetica-Bold", fontSize=18)


def render_order_invoice(
    order: Order, *, purchases: Sequence[tuple[str, int, str]]
) -> bytes:
    """The invoice of `order` whose `purchases` are (name, quantity, amount)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice of order {order.id}",
        author="Office snack shop",
        creator="Office snack shop",
        invariant=1,
    )
    captured = order.ordered_at or order.updated_at
    rows = [["Snack", "Quantity", "Amount"]]
    rows += [
        [escape(name), str(quantity), amount] for name, quantity, amount in purchases
    ]
    rows.append(["Total", "", format_minor(order.amount_minor, order.currency)])
    table = Table(rows, colWidths=[100 * mm, 25 * mm, 45 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
            ]
        )
    )
    document.build(
        [
            Paragraph("Invoice", _TITLE),
            Spacer(1, 6 * mm),
            Paragraph(f"Order {order.id}", _BODY),
            Paragraph(f"Member: {escape(order.member.email)}", _BODY),
            Paragraph(f"Captured: {captured:%Y-%m-%d %H:%M} UTC", _BODY),
            Spacer(1, 8 * mm),
            table,
        ]
    )
    return buffer.getvalue()
