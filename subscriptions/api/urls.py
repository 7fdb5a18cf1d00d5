"""Support API of plans, subscriptions and checkout sessions, mounted at /api/v1/."""

from django.urls import URLPattern, URLResolver, path

from subscriptions.api.checkout_sessions import CheckoutSessionCreateApi
from subscriptions.api.privacy import PayerForgetApi
from subscriptions.api.timeline import PayerTimelineApi
from subscriptions.api.views import (
    PlanListApi,
    SubscriptionCancelApi,
    SubscriptionChangePlanApi,
    SubscriptionDetailApi,
    SubscriptionListApi,
    SubscriptionPauseApi,
    SubscriptionResumeApi,
    SubscriptionRetryApi,
    SubscriptionUndoCancellationApi,
)

app_name = "subscriptions-api"

# Ids are plain segments: the views answer a malformed one with a 400.
urlpatterns: list[URLPattern | URLResolver] = [
    path("plans/", PlanListApi.as_view(), name="plan-list"),
    path("subscriptions/", SubscriptionListApi.as_view(), name="subscription-list"),
    path(
        "subscriptions/<str:subscription_id>/",
        SubscriptionDetailApi.as_view(),
        name="subscription-detail",
    ),
    path(
        "subscriptions/<str:subscription_id>/cancel/",
        SubscriptionCancelApi.as_view(),
        name="subscription-cancel",
    ),
    path(
        "subscriptions/<str:subscription_id>/undo-cancellation/",
        SubscriptionUndoCancellationApi.as_view(),
        name="subscription-undo-cancellation",
    ),
    path(
        "subscriptions/<str:subscription_id>/pause/",
        SubscriptionPauseApi.as_view(),
        name="subscription-pause",
    ),
    path(
        "subscriptions/<str:subscription_id>/resume/",
        SubscriptionResumeApi.as_view(),
        name="subscription-resume",
    ),
    path(
        "subscriptions/<str:subscription_id>/change-plan/",
        SubscriptionChangePlanApi.as_view(),
        name="subscription-change-plan",
    ),
    path(
        "subscriptions/<str:subscription_id>/retry/",
        SubscriptionRetryApi.as_view(),
        name="subscription-retry",
    ),
    path(
        "payers/<str:payer_id>/forget/",
        PayerForgetApi.as_view(),
        name="payer-forget",
    ),
    path(
        "payers/<str:payer_id>/timeline/",
        PayerTimelineApi.as_view(),
        name="payer-timeline",
    ),
    # Reading a session is payments' `checkout-sessions/<id>/`.
    path(
        "checkout-sessions/",
        CheckoutSessionCreateApi.as_view(),
        name="checkout-session-create",
    ),
]
