"""The staff sign-in forms (admin, browsable API), guarded against guessing.

A POST is refused with a 429 and `Retry-After` (in the API's error shape, or as a
page for a browser) when
the address has made too many sign-in attempts (`login` throttle rate) or the
account is locked out from it (`accounts.lockouts`); the form answers otherwise.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from accounts.lockouts import locked_for
from kit.api.throttling import client_ip, throttled_login, too_many_requests

LOCKED_OUT_MESSAGE = (
    "Too many failed sign-ins for this account from this address; try again later."
)


def guarded_login(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """`view`, throttled, and refusing a locked-out account before it runs."""

    @functools.wraps(view)
    def refusing_locked_out(
        request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if request.method == "POST":
            username = str(request.POST.get("username", ""))
            wait = locked_for(username, client_ip(request)) if username else 0.0
            if wait:
                return too_many_requests(
                    wait,
                    code="login_locked_out",
                    message=LOCKED_OUT_MESSAGE,
                    request=request,
                )
        return view(request, *args, **kwargs)

    return throttled_login(refusing_locked_out)
