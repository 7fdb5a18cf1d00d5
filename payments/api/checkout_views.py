"""Hosted checkout pages: the card widget, the payment, 3-D Secure, the way back.

`/checkout/<id>/` says what is bought (an amount, or a card check that charges
nothing) and embeds the gateway's card widget (here the sandbox's card page), which
hands back a cryptogram or a PaymentMethod id by `postMessage`; the page posts it to
`/checkout/<id>/pay`. A card that needs 3-D Secure leaves for the issuer's page
(CloudPayments: a form POSTed to the ACS; Stripe: a redirect) and comes back to
`/checkout/<id>/3ds`. The payer ends on the session's success or failure URL.

Card payloads and 3-D Secure answers are never logged, and Django's error reports
are told to mask them.
"""

from __future__ import annotations

import logging
import urllib.parse
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.clock import billing_now
from kit.redirects import is_allowed_redirect
from payments import selectors
from payments.models import (
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    PaymentStatus,
)
from payments.services import (
    CheckoutNotAwaiting3ds,
    CheckoutSessionExpired,
    CheckoutSessionNotFound,
    CheckoutSessionUsed,
    ThreeDsMismatch,
    finish_checkout_after_3ds,
    pay_checkout_session,
)

logger = logging.getLogger(__name__)

# The sandbox's card page stands in for both gateways' widgets.
WIDGET_GATEWAYS = frozenset({"cloudpayments", "stripe"})
CARD_PAYLOAD_FIELDS = ("card_payload", "cryptogram", "payment_method")
MAX_CARD_PAYLOAD_LENGTH = 8192
# What 3-D Secure comes back with: CloudPayments' MD (a payment's or a card check's
# TransactionId), or the Stripe PaymentIntent or SetupIntent in the return URL.
THREE_DS_REFERENCE_FIELDS = ("MD", "payment_intent", "setup_intent")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@never_cache
@ensure_csrf_cookie
@require_GET
def checkout_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """The payment page: what is bought (or the card check) and the card widget."""
    session = _session(session_id)
    if session is None:
        return _not_found(request)
    if session.is_expired_at(billing_now()):
        return _expired(request)
    if session.status != CheckoutSessionStatus.OPEN or session.is_claimed:
        return _used(request)
    widget_url, widget_origin = _widget(session.gateway)
    is_card_check = session.mode == CheckoutSessionMode.CARD_SETUP
    config = {
        "gateway": session.gateway if session.gateway in WIDGET_GATEWAYS else None,
        "widgetOrigin": widget_origin,
        "cardCheck": is_card_check,
    }
    return render(
        request,
        "payments/checkout/page.html",
        {
            "session": session,
            "amount": session.amount.format(),
            "is_card_check": is_card_check,
            "widget_url": widget_url,
            "widget_config": config,
            "pay_url": reverse("checkout:pay", args=[session.id]),
        },
    )


@never_cache
@sensitive_post_parameters(*CARD_PAYLOAD_FIELDS)
@require_POST
def checkout_pay(request: HttpRequest, session_id: str) -> HttpResponse:
    """Charge (or check) the card the widget tokenized; CSRF-protected like any
    form post."""
    parsed = _parse_id(session_id)
    if parsed is None:
        return _not_found(request)
    payload = next(
        (
            value.strip()
            for name in CARD_PAYLOAD_FIELDS
            if (value := request.POST.get(name, "")).strip()
        ),
        "",
    )
    if not payload or len(payload) > MAX_CARD_PAYLOAD_LENGTH:
        return _problem(request, "The card details did not arrive.", status=400)
    try:
        session = pay_checkout_session(
            session_id=parsed,
            card_payload=payload,
            ip_address=request.META.get("REMOTE_ADDR"),
            return_url=_three_ds_return_url(request, parsed),
            now=billing_now(),
        )
    except CheckoutSessionNotFound:
        return _not_found(request)
    except CheckoutSessionExpired:
        return _expired(request)
    except CheckoutSessionUsed:
        return _used(request)
    return _outcome(request, session)


@csrf_exempt  # The issuer's page posts here from its own origin, with no token.
@never_cache
@sensitive_post_parameters("PaRes", "MD")
@require_http_methods(["GET", "POST"])
def checkout_three_ds(request: HttpRequest, session_id: str) -> HttpResponse:
    """Where 3-D Secure returns: CloudPayments POSTs MD and PaRes, Stripe GETs with
    `payment_intent` (or `setup_intent` for a card check)."""
    parsed = _parse_id(session_id)
    if parsed is None:
        return _not_found(request)
    answer = request.POST if request.method == "POST" else request.GET
    reference = next(
        (value for name in THREE_DS_REFERENCE_FIELDS if (value := answer.get(name))),
        "",
    )
    if not reference:
        return _problem(request, "The bank's answer did not arrive.", status=400)
    try:
        session = finish_checkout_after_3ds(
            session_id=parsed,
            gateway_reference=reference,
            authentication_result=answer.get("PaRes") or None,
            now=billing_now(),
        )
    except CheckoutSessionNotFound:
        return _not_found(request)
    except (ThreeDsMismatch, CheckoutNotAwaiting3ds):
        return _problem(
            request, "This answer is not for this checkout's payment.", status=400
        )
    return _outcome(request, session)


def _outcome(request: HttpRequest, session: CheckoutSession) -> HttpResponse:
    """Send the payer on: back to the shop, to 3-D Secure, or to a waiting page."""
    attempt = session.attempt
    if session.status == CheckoutSessionStatus.COMPLETED:
        return _back_to_shop(
            request,
            _with_query(session.success_url, checkout=session.id, status="succeeded"),
        )
    if session.status == CheckoutSessionStatus.FAILED:
        reason = (attempt.failure_code if attempt else "") or "failed"
        return _back_to_shop(
            request,
            _with_query(
                session.failure_url,
                checkout=session.id,
                status="failed",
                reason=reason,
            ),
        )
    # Payments and card setups name the 3-D Secure state alike.
    if attempt is not None and attempt.status == PaymentStatus.REQUIRES_ACTION:
        action = attempt.action or {}
        url = str(action.get("url") or "")
        if _is_http_url(url):
            return _three_ds(request, session, url, action.get("form_fields") or {})
    logger.info(
        "payments.checkout_session.pending", extra={"checkout_session": str(session.id)}
    )
    return render(
        request,
        "payments/checkout/processing.html",
        {
            "session": session,
            "is_card_check": session.mode == CheckoutSessionMode.CARD_SETUP,
        },
        status=202,
    )


def _three_ds(
    request: HttpRequest,
    session: CheckoutSession,
    url: str,
    form_fields: dict[str, str],
) -> HttpResponse:
    """CloudPayments: POST PaReq, MD and TermUrl to the ACS; Stripe: redirect."""
    if not form_fields:
        return HttpResponseRedirect(url)
    term_url = _three_ds_return_url(request, session.id)
    fields = [(str(name), str(value)) for name, value in form_fields.items()]
    fields.append(("TermUrl", term_url))
    return render(
        request,
        "payments/checkout/three_ds.html",
        {"challenge_url": url, "fields": fields},
    )


def _three_ds_return_url(request: HttpRequest, session_id: uuid.UUID) -> str:
    """Absolute: the issuer's page sends the payer's browser back to it."""
    return request.build_absolute_uri(reverse("checkout:three-ds", args=[session_id]))


def _widget(gateway: str) -> tuple[str, str]:
    """The card widget's address for `gateway` and the origin its messages carry."""
    base = settings.SANDBOX_URL.rstrip("/")
    query = {"gateway": gateway} if gateway in WIDGET_GATEWAYS else {}
    url = f"{base}/__sandbox/checkout"
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    return url, _origin(base)


def _origin(url: str) -> str:
    """The origin a browser reports for `url` (default ports left out)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _back_to_shop(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect to the shop's URL if its host is still allowed (the session was
    checked when opened; settings may have changed since)."""
    if not is_allowed_redirect(url, settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS):
        logger.warning("payments.checkout_session.redirect_refused")
        return _problem(request, "The address to return to is not allowed.", status=400)
    return HttpResponseRedirect(url)


def _with_query(url: str, **params: object) -> str:
    """`url` with `params` added to its query (existing ones kept)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query.extend((name, str(value)) for name, value in params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _is_http_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _parse_id(session_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(session_id)
    except ValueError:
        return None


def _session(session_id: str) -> CheckoutSession | None:
    parsed = _parse_id(session_id)
    return None if parsed is None else selectors.checkout_session_get(session_id=parsed)


def _problem(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "payments/checkout/unavailable.html",
        {"title": "Payment not possible", "message": message},
        status=status,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "payments/checkout/unavailable.html",
        {
            "title": "Checkout not found",
            "message": "This payment link is not valid. Check the address or ask "
            "the shop for a new link.",
        },
        status=404,
    )


def _expired(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "payments/checkout/unavailable.html",
        {
            "title": "Checkout expired",
            "message": "This payment link has expired. Ask the shop for a new one.",
        },
        status=410,
    )


def _used(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "payments/checkout/unavailable.html",
        {
            "title": "Checkout already used",
            "message": "This payment link has already been used; it cannot pay "
            "again. Ask the shop for a new one if needed.",
        },
        status=410,
    )
