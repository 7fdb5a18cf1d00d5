"""Hosted checkout pages, mounted at /checkout/."""

from django.urls import URLPattern, URLResolver, path

from payments.api.checkout_views import checkout_page, checkout_pay, checkout_three_ds

app_name = "checkout"

# Ids are plain segments so that a malformed one gets the checkout's own 404 page.
urlpatterns: list[URLPattern | URLResolver] = [
    path("<str:session_id>/", checkout_page, name="page"),
    path("<str:session_id>/pay", checkout_pay, name="pay"),
    path("<str:session_id>/3ds", checkout_three_ds, name="three-ds"),
]
