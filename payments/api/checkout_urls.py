"""Hosted checkout pages, mounted at /checkout/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
