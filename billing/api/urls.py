"""Support API of invoices, mounted at /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from billing.api.views import InvoiceDetailApi, InvoiceListApi, InvoicePdfApi

app_name = "billing-api"

# Ids are plain segments: the views answer a malformed one with a 400.
urlpatterns: list[URLPattern | URLResolver] = [
    path("invoices/", InvoiceListApi.as_view(), name="invoice-list"),
    path(
        "invoices/<str:invoice_id>/",
        InvoiceDetailApi.as_view(),
        name="invoice-detail",
    ),
    path("invoices/<str:invoice_id>/pdf/", InvoicePdfApi.as_view(), name="invoice-pdf"),
]
