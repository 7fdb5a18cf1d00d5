"""Django's error pages: the shop's web pages answer with a page, the rest of the
service (the API, webhooks, checkout) in the API's one error shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from kit.api.errors import json_not_found
from snacks.web.access import not_found_page

SHOP_PAGES = "/shop/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(SHOP_PAGES):
        return not_found_page(request)
    return json_not_found(request, exception)
