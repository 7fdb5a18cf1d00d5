"""Hosted checkout pages: the card form, the payment, 3-D Secure, the way back.

`/checkout/<id>/` says what is bought (an amount, an amount held on the card and
not charged, or a card check that charges nothing) and loads the gateway's own
browser script from the settings: CloudPayments' checkout script turns the card
fields into a cryptogram (`cp.Checkout`, `createPaymentCryptogram`), Stripe.js's
card element into a PaymentMethod (`createPaymentMethod`). The page posts only
that payload to `/checkout/<id>/pay`, which refuses anything else
(`card_payloads`) and confirms the payment on the server. A declined card shows
the page again for another card. A card that needs 3-D Secure leaves for the
issuer's page (CloudPayments: a form POSTed to the ACS; Stripe: its redirect) and
comes back to `/checkout/<id>/3ds`, which only the browser that posted the card
may use (`checkout_security`). The payer ends on the session's success or failure
URL.

Card payloads and 3-D Secure answers are never logged, and Django's error reports
are told to mask them.
"""

from __future__ import annotations

import logging
import urllib.parse
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.clock import billing_now
from kit.api.errors import error_body
from kit.redirects import is_allowed_redirect
from payments import selectors
from payments.api.checkout_rendering import (
    problem_page,
    render_page,
    unavailable_page,
)
from payments.api.checkout_security import (
    bind_browser,
    gateway_script_url,
    is_bound_browser,
)
from payments.models import (
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    PaymentStatus,
)
from payments.services import (
    CardPayloadRefused,
    CheckoutNotAwaiting3ds,
    CheckoutSessionExpired,
    CheckoutSessionNotFound,
    CheckoutSessionUsed,
    PaymentInProgress,
    ThreeDsMismatch,
    check_card_payload,
    finish_checkout_after_3ds,
    pay_checkout_session,
)

logger = logging.getLogger(__name__)

CARD_PAYLOAD_FIELDS = ("card_payload", "cryptogram", "payment_method")
MAX_CARD_PAYLOAD_LENGTH = 8192
# What 3-D Secure comes back with: CloudPayments' MD (a payment's or a card check's
# TransactionId), or the Stripe PaymentIntent or SetupIntent in the return URL.
THREE_DS_REFERENCE_FIELDS = ("MD", "payment_intent", "setup_intent")
# What an ACS posts back, and the mark of the same answer posted again from here.
ACS_ANSWER_FIELDS = ("MD", "PaRes")
RESUBMITTED_FIELD = "resubmitted"


@never_cache
@ensure_csrf_cookie
@require_GET
def checkout_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """The payment page: what is bought (or the card check) and the card form."""
    session = _session(session_id)
    if session is None:
        return unavailable_page(request, "not_found")
    if session.is_expired_at(billing_now()):
        return unavailable_page(request, "expired")
    if session.status != CheckoutSessionStatus.OPEN or session.is_claimed:
        return unavailable_page(request, "used")
    return _card_form(request, session)


@never_cache
@sensitive_post_parameters(*CARD_PAYLOAD_FIELDS)
@require_POST
def checkout_pay(request: HttpRequest, session_id: str) -> HttpResponse:
    """Charge (or check) the card the gateway's script tokenized; CSRF-protected like
    any form post."""
    parsed = _parse_id(session_id)
    if parsed is None:
        return unavailable_page(request, "not_found")
    payload = next(
        (
            value.strip()
            for name in CARD_PAYLOAD_FIELDS
            if (value := request.POST.get(name, "")).strip()
        ),
        "",
    )
    if not payload or len(payload) > MAX_CARD_PAYLOAD_LENGTH:
        return problem_page(request, "The card details did not arrive.", status=400)
    session = selectors.checkout_session_get(session_id=parsed)
    if session is None:
        return unavailable_page(request, "not_found")
    # Checked here too (the payment checks it) so a refusal never claims the session.
    try:
        check_card_payload(
            payload,
            gateway=session.gateway,
            sandbox=settings.CHECKOUT_SANDBOX_PAYLOADS,
        )
    except CardPayloadRefused as refused:
        # The one error shape, and nothing of the payload in it or in any log.
        return JsonResponse(
            error_body(refused.code, refused.message, refused.extra),
            status=refused.http_status,
        )
    try:
        session = pay_checkout_session(
            session_id=parsed,
            card_payload=payload,
            ip_address=request.META.get("REMOTE_ADDR"),
            return_url=_three_ds_return_url(request, parsed),
            now=billing_now(),
        )
    except CheckoutSessionNotFound:
        return unavailable_page(request, "not_found")
    except CheckoutSessionExpired:
        return unavailable_page(request, "expired")
    except CheckoutSessionUsed:
        return unavailable_page(request, "used")
    except PaymentInProgress:
        return unavailable_page(request, "paid_elsewhere")
    response = _outcome(request, session)
    bind_browser(response, request, session.id)
    return response


@csrf_exempt  # The issuer's page posts here from its own origin, with no token.
@never_cache
@sensitive_post_parameters(*ACS_ANSWER_FIELDS)
@require_http_methods(["GET", "POST"])
def checkout_three_ds(request: HttpRequest, session_id: str) -> HttpResponse:
    """Where 3-D Secure returns: CloudPayments POSTs MD and PaRes, Stripe GETs with
    `payment_intent` (or `setup_intent` for a card check)."""
    session = _session(session_id)
    if session is None:
        return unavailable_page(request, "not_found")
    answer = request.POST if request.method == "POST" else request.GET
    if not is_bound_browser(request, session.id):
        if request.method == "POST" and answer.get(RESUBMITTED_FIELD) != "1":
            # The ACS posts from its own site, and browsers leave SameSite=Lax
            # cookies off a cross-site POST: the page posts the same answer again
            # from this site, where the cookie goes along.
            fields = [
                (name, answer[name]) for name in ACS_ANSWER_FIELDS if name in answer
            ]
            fields.append((RESUBMITTED_FIELD, "1"))
            return render_page(
                request,
                "payments/checkout/resubmit.html",
                {"action": request.path, "fields": fields},
            )
        return problem_page(
            request,
            "This payment was started in another browser. Finish it there, or "
            "ask the shop for a new payment link.",
            status=403,
        )
    reference = next(
        (value for name in THREE_DS_REFERENCE_FIELDS if (value := answer.get(name))),
        "",
    )
    if not reference:
        return problem_page(request, "The bank's answer did not arrive.", status=400)
    try:
        session = finish_checkout_after_3ds(
            session_id=session.id,
            gateway_reference=reference,
            authentication_result=answer.get("PaRes") or None,
            now=billing_now(),
        )
    except CheckoutSessionNotFound:
        return unavailable_page(request, "not_found")
    except (ThreeDsMismatch, CheckoutNotAwaiting3ds):
        return problem_page(
            request, "This answer is not for this checkout's payment.", status=400
        )
    return _outcome(request, session)


def _card_form(
    request: HttpRequest, session: CheckoutSession, *, refusal: str = ""
) -> HttpResponse:
    """The page with the gateway's card form (and why the last card was refused)."""
    is_card_check = session.mode == CheckoutSessionMode.CARD_SETUP
    is_hold = session.mode == CheckoutSessionMode.AUTHORIZE
    script_url = gateway_script_url(session.gateway)
    config: dict[str, Any] = {
        "gateway": session.gateway if script_url else None,
        "cardCheck": is_card_check,
        "hold": is_hold,
    }
    if session.gateway == "cloudpayments":
        config["publicId"] = settings.CLOUDPAYMENTS_PUBLIC_ID
    elif session.gateway == "stripe":
        config["publishableKey"] = settings.STRIPE_PUBLISHABLE_KEY
    return render_page(
        request,
        "payments/checkout/page.html",
        {
            "session": session,
            "amount": session.amount.format(),
            "is_card_check": is_card_check,
            "is_hold": is_hold,
            "script_url": script_url,
            "checkout_config": config,
            "refusal": refusal,
            "pay_url": reverse("checkout:pay", args=[session.id]),
        },
        gateway=session.gateway,
        status=402 if refusal else 200,
    )


def _outcome(request: HttpRequest, session: CheckoutSession) -> HttpResponse:
    """Send the payer on: back to the shop, to 3-D Secure, to another card, or to a
    waiting page."""
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
    if (
        attempt is not None
        and not session.is_claimed
        and attempt.status in (PaymentStatus.FAILED, CardSetupStatus.FAILED)
    ):
        return _card_form(request, session, refusal=_refusal(attempt.failure_code))
    # Payments and card setups name the 3-D Secure state alike.
    if attempt is not None and attempt.status == PaymentStatus.REQUIRES_ACTION:
        action = attempt.action or {}
        url = str(action.get("url") or "")
        if _is_http_url(url):
            return _three_ds(request, session, url, action.get("form_fields") or {})
    logger.info(
        "payments.checkout_session.pending", extra={"checkout_session": str(session.id)}
    )
    return render_page(
        request,
        "payments/checkout/processing.html",
        {
            "session": session,
            "is_card_check": session.mode == CheckoutSessionMode.CARD_SETUP,
            "is_hold": session.mode == CheckoutSessionMode.AUTHORIZE,
        },
        status=202,
    )


def _refusal(failure_code: str) -> str:
    reason = f" ({failure_code})" if failure_code else ""
    return f"The card was declined{reason}. Try another card."


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
    return render_page(
        request,
        "payments/checkout/three_ds.html",
        {"challenge_url": url, "fields": fields},
    )


def _three_ds_return_url(request: HttpRequest, session_id: uuid.UUID) -> str:
    """Absolute: the issuer's page sends the payer's browser back to it."""
    return request.build_absolute_uri(reverse("checkout:three-ds", args=[session_id]))


def _back_to_shop(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect to the shop's URL if its host is still allowed (the session was
    checked when opened; settings may have changed since)."""
    if not is_allowed_redirect(url, settings.CHECKOUT_REDIRECT_ALLOWED_HOSTS):
        logger.warning("payments.checkout_session.redirect_refused")
        return problem_page(
            request, "The address to return to is not allowed.", status=400
        )
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
