"""An invoice as a PDF document (reportlab), for the admin and the support API.

What is printed is the invoice's own record: number, dates, the payer's UUID (billing
keeps no name or e-mail), the lines with their periods, the totals and the status.
Amounts are formatted from minor units by `billing.money`, never through a float.
The output is byte-for-byte reproducible (reportlab's invariant mode): the same
invoice in the same state always renders the same file.

Fixed fields (numbers, dates, amounts, ids) are set in Helvetica, one of the PDF's
standard fonts, which covers Latin-1 only. Descriptions in other scripts (a plan
named in Cyrillic) need a TrueType font: DejaVu Sans is used when reportlab finds it
on its font search path (Debian's `fonts-dejavu-core`), else Helvetica shows such
characters as blanks.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from django.http import FileResponse
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import Invoice, InvoiceLine, InvoiceStatus
from billing.money import Money

logger = logging.getLogger(__name__)

CONTENT_TYPE: Final = "application/pdf"
_FONT: Final = "Helvetica"
_BOLD_FONT: Final = "Helvetica-Bold"
_UNICODE_FONT: Final = "InvoiceUnicodeSans"
_UNICODE_FONT_FILE: Final = "DejaVuSans.ttf"
_GREY: Final = colors.HexColor("#555555")
_RULE: Final = colors.HexColor("#999999")
# When the invoice reached its status, for the statuses that stamp one.
_STATUS_STAMPS: Final = {
    InvoiceStatus.PAID: ("Paid at", "paid_at"),
    InvoiceStatus.VOID: ("Voided at", "voided_at"),
    InvoiceStatus.UNCOLLECTIBLE: ("Written off at", "marked_uncollectible_at"),
}

_BODY = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=12)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8, leading=10, textColor=_GREY)
_TITLE = ParagraphStyle("title", parent=_BODY, fontName=_BOLD_FONT, fontSize=18)
_AMOUNT = ParagraphStyle("amount", parent=_BODY, alignment=TA_RIGHT)
_TOTAL = ParagraphStyle("total", parent=_AMOUNT, fontName=_BOLD_FONT)


def invoice_pdf_response(invoice: Invoice) -> FileResponse:
    """The invoice's PDF as a download (its lines prefetched or not)."""
    document = render_invoice_pdf(invoice, lines=list(invoice.lines.all()))
    return FileResponse(
        io.BytesIO(document),
        as_attachment=True,
        filename=invoice_pdf_filename(invoice),
        content_type=CONTENT_TYPE,
    )


def invoice_pdf_filename(invoice: Invoice) -> str:
    """`INV-00000012.pdf`, or `invoice-7-draft.pdf` for a draft without a number."""
    if invoice.number:
        return f"{invoice.display_number}.pdf"
    return f"invoice-{invoice.id}-draft.pdf"


def render_invoice_pdf(
    invoice: Invoice, *, lines: Sequence[InvoiceLine] | None = None
) -> bytes:
    """Return the invoice as a PDF document (A4, one page for a usual invoice).

    `lines` defaults to the invoice's own, in the order they were written; pass them
    when they are prefetched already.
    """
    if lines is None:
        lines = list(invoice.lines.order_by("id"))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice {invoice.display_number}",
        subject=f"Invoice {invoice.display_number} to payer {invoice.payer_id}",
        author="Billing service",
        creator="Billing service",
        invariant=1,
    )
    document.build(
        [
            Paragraph(f"Invoice {invoice.display_number}", _TITLE),
            Spacer(1, 6 * mm),
            _facts(invoice),
            Spacer(1, 8 * mm),
            _lines(invoice, lines),
            Spacer(1, 3 * mm),
            _totals(invoice),
            Spacer(1, 10 * mm),
            Paragraph(
                "Periods are half-open: each ends at the moment the next one "
                "begins. Times are UTC. The payer is identified by the UUID of "
                "their account.",
                _SMALL,
            ),
        ]
    )
    return buffer.getvalue()


def _facts(invoice: Invoice) -> Table:
    rows: list[tuple[str, Any]] = [
        ("Number", invoice.display_number),
        ("Status", invoice.get_status_display()),
        ("Reason", invoice.get_billing_reason_display()),
        ("Issued", _when(invoice.issued_at)),
    ]
    if stamp := _STATUS_STAMPS.get(InvoiceStatus(invoice.status)):
        label, field = stamp
        rows.append((label, _when(getattr(invoice, field))))
    if invoice.period_starts_at and invoice.period_ends_at:
        rows.append(
            ("Period", _period(invoice.period_starts_at, invoice.period_ends_at))
        )
    rows.append(("Payer", str(invoice.payer_id)))
    if invoice.subscription_id:
        rows.append(("Subscription", str(invoice.subscription_id)))
    if invoice.description:
        rows.append(("Description", _text(invoice.description, _BODY)))
    table = Table(
        [[Paragraph(label, _SMALL), value] for label, value in rows],
        colWidths=[32 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 9.5),
                ("FONT", (1, 0), (1, 1), _BOLD_FONT, 9.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _lines(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Table:
    header = ["Description", "Period", "Amount"]
    rows: list[list[Any]] = [
        [
            _text(line.description, _BODY),
            Paragraph(_period(line.period_starts_at, line.period_ends_at), _SMALL),
            Paragraph(line.amount.format(), _AMOUNT),
        ]
        for line in lines
    ]
    if not rows:
        rows = [[Paragraph("No lines.", _SMALL), "", ""]]
    table = Table([header, *rows], colWidths=[None, 62 * mm, 34 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), _BOLD_FONT, 9),
                ("ALIGN", (2, 0), (2, 0), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _totals(invoice: Invoice) -> Table:
    paid = Money(invoice.amount_paid_minor, invoice.currency)
    rows = [
        ["Total", Paragraph(invoice.total.format(), _TOTAL)],
        ["Paid", Paragraph(paid.format(), _AMOUNT)],
        ["Amount due", Paragraph(invoice.amount_due.format(), _TOTAL)],
    ]
    table = Table(rows, colWidths=[40 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 9.5),
                ("FONT", (0, 0), (0, 0), _BOLD_FONT, 9.5),
                ("FONT", (0, 2), (0, 2), _BOLD_FONT, 9.5),
                ("LINEABOVE", (0, 2), (-1, 2), 0.75, colors.black),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    """Free text, in a font that has its characters (see the module docstring)."""
    font = _FONT if _is_latin1(value) else (_unicode_font() or _FONT)
    return Paragraph(f'<font name="{font}">{escape(value)}</font>', style)


def _is_latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _unicode_font() -> str | None:
    try:
        pdfmetrics.registerFont(TTFont(_UNICODE_FONT, _UNICODE_FONT_FILE))
    except TTFError:
        logger.warning(
            "billing.invoice_pdf.no_unicode_font", extra={"font": _UNICODE_FONT_FILE}
        )
        return None
    return _UNICODE_FONT


def _when(value: dt.datetime | None, *, zone: bool = True) -> str:
    if value is None:
        return "—"
    text = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    return f"{text} UTC" if zone else text


def _period(starts_at: dt.datetime | None, ends_at: dt.datetime | None) -> str:
    if starts_at is None or ends_at is None:
        return "—"
    return f"{_when(starts_at, zone=False)} \N{EN DASH} {_when(ends_at, zone=False)}"
