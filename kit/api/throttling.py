"""Rate limits of the API: anonymous clients, signed-in users, and sign-ins.

The rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]` (`anon`, `user`, `login`),
read when a request is checked rather than when DRF is imported, so that settings
overridden at run time (tests) apply. Every API request passes the anonymous or
the user throttle, so those two count requests per window, one round trip to
Redis (`kit.cache.count_in_window`); sign-ins, rare and worth the exactness, keep
DRF's history of each attempt, so that no window boundary lets twice the rate
through. A client is told when to come back in
`Retry-After`, in the API's one error shape; a browser at a sign-in form, which
would show that JSON raw, gets the same message as a page.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, cast

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.html import format_html
from rest_framework.settings import api_settings
from rest_framework.throttling import (
    AnonRateThrottle,
    BaseThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from kit.api.errors import error_body
from kit.cache import count_in_window


def _current_rate(scope: str | None) -> str | None:
    rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
    rate = rates.get(scope or "")
    return None if rate is None else str(rate)


class _CountingThrottle(SimpleRateThrottle):
    """DRF's rate throttle counting requests per window of the rate's period, the
    window opened by its first request: at most the rate's number in a window."""

    def get_rate(self) -> str | None:
        return _current_rate(self.scope)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        limit, seconds = self.parse_rate(self.rate)
        assert limit is not None and seconds is not None  # a rate was given
        # The cache itself, not DRF's proxy to it: its kind decides how to count.
        cache = caches[DEFAULT_CACHE_ALIAS]
        count, self._left = count_in_window(cache, self.key, seconds)
        return count <= limit

    def wait(self) -> float | None:
        return self._left


class AnonThrottle(_CountingThrottle, AnonRateThrottle):
    """Requests of clients that are not signed in, per IP address."""


class UserThrottle(_CountingThrottle, UserRateThrottle):
    """Requests of signed-in users (staff, scripts with a token), per user."""


class LoginThrottle(SimpleRateThrottle):
    """Sign-in attempts, per IP address, whoever they are for."""

    scope = "login"

    def get_rate(self) -> str | None:
        return _current_rate(self.scope)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting `X-Forwarded-For` only as far as
    `REST_FRAMEWORK["NUM_PROXIES"]` says."""
    # DRF reads only `META`, which a plain Django request has too.
    return str(BaseThrottle().get_ident(cast(Any, request)))


def too_many_requests(
    wait: float | None,
    *,
    code: str = "throttled",
    message: str | None = None,
    request: HttpRequest | None = None,
) -> HttpResponse:
    """A 429 with `Retry-After` in whole seconds: in the one error shape, or as a
    page when `request` comes from a browser that prefers HTML."""
    seconds = max(1, math.ceil(wait or 1))
    text = message or f"Too many requests; try again in {seconds} seconds."
    response: HttpResponse
    if request is not None and _prefers_html(request):
        response = HttpResponse(
            format_html(_REFUSAL_PAGE, message=text, form=request.path), status=429
        )
    else:
        response = JsonResponse(error_body(code, text), status=429)
    response["Retry-After"] = str(seconds)
    return response


_REFUSAL_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8">'
    "<title>Too many attempts</title><h1>Too many attempts</h1>"
    '<p role="alert">{message}</p><p><a href="{form}">Back to the form</a></p></html>'
)


def _prefers_html(request: HttpRequest) -> bool:
    """Whether the client ranks an HTML page above JSON (API clients: no)."""
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


def throttled_login(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """`view` (a sign-in form) with its POSTs limited by `LoginThrottle`."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST":
            throttle = LoginThrottle()
            if not throttle.allow_request(cast(Any, request), cast(Any, None)):
                return too_many_requests(throttle.wait(), request=request)
        return view(request, *args, **kwargs)

    return guarded
