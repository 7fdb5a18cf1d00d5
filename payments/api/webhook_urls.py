"""Gateway webhooks, mounted at /webhooks/."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
