"""Support API of invoices: one view per operation (HackSoft).

Support and accounting staff list invoices, read one with its lines and download it
as a PDF. An invoice id arrives as a plain path segment and is checked here, so that
a malformed one is a 400 that names the bad field and an unknown one a 404, in the
API's one error shape.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing import selectors
from billing.api.serializers import InvoiceDetailOutput, InvoiceOutput
from billing.invoice_pdf import CONTENT_TYPE, invoice_pdf_response
from billing.models import Invoice, InvoiceStatus
from billing.services import InvoiceNotFound
from kit.api.errors import error_responses
from kit.api.filters import CreatedRangeFilter
from kit.api.pagination import ListPagination, paginated_response
from kit.api.paths import path_parameter
from kit.api.permissions import IsSupportStaff

READ_ERRORS = error_responses(400, 403, 404)


def _path_invoice_id(value: str) -> int:
    """:raises ValidationError: when `value` is not an invoice id."""
    invoice_id = selectors.parse_invoice_id(value)
    if invoice_id is None:
        raise serializers.ValidationError(
            {"invoice_id": ["Must be an invoice id (a whole number)."]}
        )
    return invoice_id


class InvoiceListApi(APIView):
    """Invoices, newest first, filtered and paginated (limit/offset)."""

    permission_classes = [IsSupportStaff]
    pagination_class = ListPagination

    class FilterSerializer(CreatedRangeFilter):
        payer = serializers.UUIDField(required=False, help_text="Payer UUID.")
        subscription = serializers.UUIDField(
            required=False, help_text="Subscription UUID."
        )
        status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
        search = serializers.CharField(
            required=False,
            help_text='An invoice number, "INV-00000012" or 12 (exact).',
        )

        def validate_search(self, value: str) -> int:
            number = selectors.parse_invoice_number(value)
            if number is None:
                raise serializers.ValidationError(
                    'Must be an invoice number, such as "INV-00000012" or 12.'
                )
            return number

    @extend_schema(
        operation_id="invoices_list",
        tags=["invoices"],
        parameters=[FilterSerializer],
        responses={200: InvoiceOutput(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        invoices = selectors.invoice_list(
            filters=selectors.InvoiceFilters(
                payer_id=data.get("payer"),
                subscription_id=data.get("subscription"),
                status=data.get("status"),
                number=data.get("search"),
                created_after=data.get("created_after"),
                created_before=data.get("created_before"),
            )
        )
        return paginated_response(
            queryset=invoices, output=InvoiceOutput, request=request, view=self
        )


def _invoice(invoice_id: str) -> Invoice:
    """The invoice named in the path, with its lines.

    :raises ValidationError, InvoiceNotFound:
    """
    parsed = _path_invoice_id(invoice_id)
    invoice = selectors.invoice_get(invoice_id=parsed)
    if invoice is None:
        raise InvoiceNotFound(extra={"invoice": parsed})
    return invoice


class InvoiceDetailApi(APIView):
    """An invoice with its lines."""

    permission_classes = [IsSupportStaff]

    @extend_schema(
        operation_id="invoices_retrieve",
        tags=["invoices"],
        parameters=[path_parameter("invoice_id", OpenApiTypes.INT)],
        responses={200: InvoiceDetailOutput, **READ_ERRORS},
    )
    def get(self, request: Request, invoice_id: str) -> Response:
        invoice = _invoice(invoice_id)
        return Response(InvoiceDetailOutput(invoice, context={"request": request}).data)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `application/pdf`; the document itself is sent as is."""

    media_type = CONTENT_TYPE
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        return bytes(data)


class InvoicePdfApi(APIView):
    """The invoice as a PDF document (errors are JSON, whatever was accepted)."""

    permission_classes = [IsSupportStaff]
    renderer_classes = [JSONRenderer, PdfRenderer]

    @extend_schema(
        operation_id="invoices_pdf",
        tags=["invoices"],
        parameters=[path_parameter("invoice_id", OpenApiTypes.INT)],
        responses={
            (200, CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            **{
                (code, JSONRenderer.media_type): output
                for code, output in READ_ERRORS.items()
            },
        },
    )
    def get(self, request: Request, invoice_id: str) -> FileResponse:
        return invoice_pdf_response(_invoice(invoice_id))

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # The document is a plain FileResponse; only errors are DRF responses here,
        # and they keep the one JSON shape even when the client asked for a PDF.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
