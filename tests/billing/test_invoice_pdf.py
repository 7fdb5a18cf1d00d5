"""An invoice rendered as PDF: a real document, with every amount exact."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
import zlib

import pytest
from django.db import transaction
from reportlab.pdfbase.pdfmetrics import getRegisteredFontNames
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from billing.invoice_pdf import invoice_pdf_filename, render_invoice_pdf
from billing.models import Invoice
from billing.money import Money
from billing.services import LineDraft, void_invoice
from tests.billing.factories import NOW, issue, line, pay

pytestmark = pytest.mark.django_db

PAYER = uuid.UUID("3f0b7c1e-5a2d-4e8f-9b6a-1c2d3e4f5a6b")
SUBSCRIPTION = uuid.UUID("8d2e4f6a-0b1c-4d3e-8f5a-7b9c1d2e3f4a")
_STREAM = re.compile(
    rb"/Filter \[ ([^\]]*) \][^>]*>>\s*stream\r?\n(.*?)endstream", re.S
)
_SHOWN_TEXT = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj")
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)


def pdf_text(document: bytes) -> list[str]:
    """The strings a reportlab PDF shows in its standard fonts, in drawing order.

    reportlab writes each page's content as an ASCII85- and Flate-encoded stream
    and shows text with `(…) Tj`; strings in an embedded TrueType subset are glyph
    codes, not text, and come out as gibberish here.
    """
    shown: list[str] = []
    for filters, data in _STREAM.findall(document):
        if b"ASCII85Decode" in filters:
            data = base64.a85decode(data.strip().removesuffix(b"~>"))
        if b"FlateDecode" in filters:
            data = zlib.decompress(data)
        for literal in _SHOWN_TEXT.findall(data):
            shown.append(_ESCAPE.sub(_unescape, literal).decode("cp1252"))
    return shown


def _unescape(match: re.Match[bytes]) -> bytes:
    escaped = match.group(1)
    if escaped.isdigit():
        return bytes([int(escaped, 8)])
    return {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(escaped, escaped)


def _issue(*lines: LineDraft, currency: str = "RUB") -> Invoice:
    return issue(PAYER, *lines, currency=currency, subscription_id=SUBSCRIPTION)


class TestRenderInvoicePdf:
    def test_is_a_pdf_document_titled_with_the_invoice_number(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))

        document = render_invoice_pdf(invoice)

        assert document.startswith(b"%PDF-")
        assert document.rstrip().endswith(b"%%EOF")
        assert "Invoice INV-00000001" in pdf_text(document)
        assert b"/Title (Invoice INV-00000001)" in document

    def test_shows_the_facts_of_the_invoice_and_no_personal_data(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))

        text = pdf_text(render_invoice_pdf(invoice))

        assert text[text.index("Number") + 1] == "INV-00000001"
        assert text[text.index("Status") + 1] == "Open"
        assert text[text.index("Reason") + 1] == "Renewal of a subscription"
        assert text[text.index("Issued") + 1] == "2026-01-31 09:00 UTC"
        assert text[text.index("Payer") + 1] == str(PAYER)
        assert text[text.index("Subscription") + 1] == str(SUBSCRIPTION)
        assert "2026-01-31 09:00 \N{EN DASH} 2026-02-28 09:00" in text
        assert "Renewal of Monthly" in text

    def test_formats_every_amount_exactly_from_minor_units(self) -> None:
        invoice = _issue(
            line(Money(123_456_789, "RUB"), "Enterprise"),
            line(Money(-3_456_789, "RUB"), "Credit from an earlier change"),
        )

        text = pdf_text(render_invoice_pdf(invoice))

        assert "1,234,567.89 RUB" in text
        assert "-34,567.89 RUB" in text
        assert text[text.index("Total") + 1] == "1,200,000.00 RUB"
        assert text[text.index("Paid") + 1] == "0.00 RUB"
        assert text[text.index("Amount due") + 1] == "1,200,000.00 RUB"

    @pytest.mark.parametrize(
        ("amount", "shown"),
        [(Money(1_500, "JPY"), "1,500 JPY"), (Money(12_345, "KWD"), "12.345 KWD")],
    )
    def test_uses_each_currencys_own_decimal_places(
        self, amount: Money, shown: str
    ) -> None:
        invoice = _issue(line(amount), currency=amount.currency)

        assert shown in pdf_text(render_invoice_pdf(invoice))

    def test_a_paid_invoice_shows_when_and_how_much_was_paid(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))
        paid_at = NOW + dt.timedelta(minutes=2)
        invoice = pay(invoice, at=paid_at)

        text = pdf_text(render_invoice_pdf(invoice))

        assert text[text.index("Status") + 1] == "Paid"
        assert text[text.index("Paid at") + 1] == "2026-01-31 09:02 UTC"
        assert text[text.index("Amount due") + 1] == "0.00 RUB"

    def test_a_void_invoice_says_so(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))
        with transaction.atomic():
            void_invoice(
                invoice_id=invoice.id,
                at=NOW + dt.timedelta(days=1),
                actor="system:test",
                reason="canceled",
            )
        invoice.refresh_from_db()

        text = pdf_text(render_invoice_pdf(invoice))

        assert text[text.index("Status") + 1] == "Void"
        assert text[text.index("Voided at") + 1] == "2026-02-01 09:00 UTC"

    def test_renders_the_same_bytes_for_the_same_invoice(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))

        assert render_invoice_pdf(invoice) == render_invoice_pdf(invoice)

    def test_text_in_other_scripts_is_set_in_a_unicode_font(self) -> None:
        try:
            TTFont("probe", "DejaVuSans.ttf")
        except TTFError:
            pytest.skip("DejaVu Sans is not installed (fonts-dejavu-core)")
        invoice = _issue(line(Money(99_900, "RUB"), "Тариф «Кино», месяц"))

        document = render_invoice_pdf(invoice)

        assert b"DejaVuSans" in document
        assert "InvoiceUnicodeSans" in getRegisteredFontNames()
        assert "INV-00000001" in pdf_text(document)

    def test_markup_in_a_description_is_shown_as_text(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB"), "Plan <b>A</b> & B"))

        text = "".join(pdf_text(render_invoice_pdf(invoice)))

        assert "Plan <b>A</b> & B" in text


class TestInvoicePdfFilename:
    def test_is_the_invoice_number(self) -> None:
        invoice = _issue(line(Money(99_900, "RUB")))

        assert invoice_pdf_filename(invoice) == "INV-00000001.pdf"

    def test_a_draft_is_named_by_its_id(self) -> None:
        draft = Invoice(id=7, number=None)

        assert invoice_pdf_filename(draft) == "invoice-7-draft.pdf"
