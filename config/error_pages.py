"""Django's error pages: the shop's web pages answer with a page, the rest of the
service (the API, webhooks, checkout) in the API's one error shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kit.api.errors import json_not_found

SHOP_PAGES = "/shop/"


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(SHOP_PAGES):
        return render(request, "shop/not_found.html", status=404)
    return json_not_found(request, exception)
