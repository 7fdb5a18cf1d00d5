"""The checkout pages' browser protections: the Content-Security-Policy and the
3-D Secure return bound to the browser that posted the card.

The policy lets a page run only its own inline script (by nonce) and the gateway's
script, frame and API origins from the settings, so that an injected script or a
look-alike card frame cannot run on a page where a card is typed.

The binding: when a card is posted, the response sets a signed, HttpOnly,
SameSite=Lax cookie scoped to the session's pages; `/checkout/<id>/3ds` does
nothing for a browser without it, so a leaked 3-D Secure return address finishes
nothing from another browser.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import urllib.parse
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

BINDING_COOKIE = "checkout_3ds"
_BINDING_SALT = "payments.checkout.3ds-return"
# Longer than the session's life plus an abandoned challenge's hour.
BINDING_MAX_AGE = dt.timedelta(hours=2)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def content_security_policy(*, nonce: str, gateway: str | None) -> str:
    """The policy of a checkout page for `gateway` (None: no card form on it)."""
    scripts = gateway_origins(gateway)
    connect = list(scripts)
    if gateway == "stripe":
        connect.append(origin_of(settings.STRIPE_API_BASE))
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'", *scripts],
        "frame-src": scripts or ["'none'"],
        "connect-src": ["'self'", *dict.fromkeys(connect)],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in directives.items()
    )


def gateway_script_url(gateway: str | None) -> str | None:
    """The gateway's browser script the settings name (its own, or the sandbox's)."""
    if gateway == "cloudpayments":
        return str(settings.CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL)
    if gateway == "stripe":
        return str(settings.STRIPE_JS_URL)
    return None


def gateway_origins(gateway: str | None) -> list[str]:
    url = gateway_script_url(gateway)
    return [origin_of(url)] if url else []


def origin_of(url: str) -> str:
    """The origin a browser reports for `url` (default ports left out)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def bind_browser(
    response: HttpResponse, request: HttpRequest, session_id: uuid.UUID
) -> None:
    """Let only this browser finish the session's 3-D Secure step."""
    response.set_signed_cookie(
        BINDING_COOKIE,
        str(session_id),
        salt=_BINDING_SALT,
        max_age=int(BINDING_MAX_AGE.total_seconds()),
        path=reverse("checkout:page", args=[session_id]),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def is_bound_browser(request: HttpRequest, session_id: uuid.UUID) -> bool:
    """Whether this browser posted the session's card (and so may finish it)."""
    value = request.get_signed_cookie(
        BINDING_COOKIE,
        default=None,
        salt=_BINDING_SALT,
        max_age=BINDING_MAX_AGE,
    )
    return value is not None and hmac.compare_digest(value, str(session_id))
