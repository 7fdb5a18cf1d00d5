"""Gateway webhooks, mounted at /webhooks/."""

from django.urls import URLPattern, URLResolver, path

from payments.api import webhooks

urlpatterns: list[URLPattern | URLResolver] = [
    # One URL per CloudPayments notification type: the type is not in the body.
    path(
        "cloudpayments/<slug:kind>/",
        webhooks.cloudpayments_notification,
        name="webhooks-cloudpayments",
    ),
    path("stripe/", webhooks.stripe_webhook, name="webhooks-stripe"),
]
