"""Support API of the payments app, mounted at /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from payments.api.reconciliation import (
    DiscrepancyDetailApi,
    DiscrepancyListApi,
    DiscrepancyResolveApi,
    ReconciliationRunListApi,
)
from payments.api.refund_desk import (
    PaymentRefundApi,
    RefundRequestApproveApi,
    RefundRequestDetailApi,
    RefundRequestListApi,
    RefundRequestRejectApi,
)
from payments.api.views import (
    CheckoutSessionDetailApi,
    PayerDetailApi,
    PaymentDetailApi,
    PaymentListApi,
    RefundListApi,
)

app_name = "payments-api"

# Ids are plain segments: the views answer a malformed UUID with a 400. Checkout
# sessions are opened at subscriptions' `checkout-sessions/`: one may start a plan.
urlpatterns: list[URLPattern | URLResolver] = [
    path("payers/<str:payer_id>/", PayerDetailApi.as_view(), name="payer-detail"),
    path("payments/", PaymentListApi.as_view(), name="payment-list"),
    path(
        "payments/<str:payment_id>/",
        PaymentDetailApi.as_view(),
        name="payment-detail",
    ),
    path(
        "payments/<str:payment_id>/refund/",
        PaymentRefundApi.as_view(),
        name="payment-refund",
    ),
    path("refunds/", RefundListApi.as_view(), name="refund-list"),
    path(
        "refund-requests/", RefundRequestListApi.as_view(), name="refund-request-list"
    ),
    path(
        "refund-requests/<str:refund_request_id>/",
        RefundRequestDetailApi.as_view(),
        name="refund-request-detail",
    ),
    path(
        "refund-requests/<str:refund_request_id>/approve/",
        RefundRequestApproveApi.as_view(),
        name="refund-request-approve",
    ),
    path(
        "refund-requests/<str:refund_request_id>/reject/",
        RefundRequestRejectApi.as_view(),
        name="refund-request-reject",
    ),
    path(
        "reconciliation-runs/",
        ReconciliationRunListApi.as_view(),
        name="reconciliation-run-list",
    ),
    path("discrepancies/", DiscrepancyListApi.as_view(), name="discrepancy-list"),
    path(
        "discrepancies/<str:discrepancy_id>/",
        DiscrepancyDetailApi.as_view(),
        name="discrepancy-detail",
    ),
    path(
        "discrepancies/<str:discrepancy_id>/resolve/",
        DiscrepancyResolveApi.as_view(),
        name="discrepancy-resolve",
    ),
    path(
        "checkout-sessions/<str:session_id>/",
        CheckoutSessionDetailApi.as_view(),
        name="checkout-session-detail",
    ),
]
