"""The hosted checkout's pages, each rendered under its Content-Security-Policy.

Every page gets a fresh nonce for its inline script; the policy allows scripts and
frames only from the page itself and the gateway script's origin
(`checkout_security`).
"""

from __future__ import annotations

from typing import Any, Final

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from payments.api.checkout_security import content_security_policy, new_nonce

# The pages that say why a checkout cannot go on: title, message and status.
UNAVAILABLE: Final[dict[str, tuple[str, str, int]]] = {
    "not_found": (
        "Checkout not found",
        "This payment link is not valid. Check the address or ask the shop for a "
        "new link.",
        404,
    ),
    "expired": (
        "Checkout expired",
        "This payment link has expired. Ask the shop for a new one.",
        410,
    ),
    "used": (
        "Checkout already used",
        "This payment link has already been used; it cannot pay again. Ask the "
        "shop for a new one if needed.",
        410,
    ),
    # What the page pays was paid or held another way meanwhile.
    "paid_elsewhere": (
        "Payment not possible",
        "This is already paid, or being paid, another way: there is nothing to pay "
        "here.",
        409,
    ),
}


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    gateway: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """A checkout page under its Content-Security-Policy."""
    nonce = new_nonce()
    response = render(request, template, {**context, "csp_nonce": nonce}, status=status)
    response["Content-Security-Policy"] = content_security_policy(
        nonce=nonce, gateway=gateway
    )
    return response


def problem_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    """The page that says why this request cannot go on, in `message`."""
    return render_page(
        request,
        "payments/checkout/unavailable.html",
        {"title": "Payment not possible", "message": message},
        status=status,
    )


def unavailable_page(request: HttpRequest, reason: str) -> HttpResponse:
    """The page that says why the checkout cannot go on (`UNAVAILABLE`)."""
    title, message, status = UNAVAILABLE[reason]
    return render_page(
        request,
        "payments/checkout/unavailable.html",
        {"title": title, "message": message},
        status=status,
    )
