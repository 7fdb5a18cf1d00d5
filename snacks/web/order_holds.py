"""Asking billing for an order's hold from a page, and where the browser goes next:
billing's card page when the member must pay there, else the order's page with a
message that says how the hold stands."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from accounts.models import User
from snacks import selectors, services
from snacks.billing_calls import BillingRefused
from snacks.models import HoldStatus, Order

logger = logging.getLogger(__name__)


def ask_for_hold(order: Order, *, viewer: User, now: dt.datetime) -> Order:
    """Ask for the hold (as the API does); a refusal leaves the order saved, and its
    hold says so. The order as it then stands."""
    try:
        services.request_hold(order.id, now=now)
    except BillingRefused:
        logger.warning("snacks.order.hold_refused", extra={"order": str(order.id)})
    return selectors.order_get(order_id=order.id, viewer=viewer)


def after_hold(request: HttpRequest, order: Order) -> HttpResponse:
    """Billing's card page when the member must pay there; else the order's page,
    with how the hold stands in words."""
    if order.checkout_url and order.hold_status == HoldStatus.REQUIRES_ACTION:
        return HttpResponseRedirect(order.checkout_url)
    if order.hold_status == HoldStatus.NONE:
        messages.warning(
            request,
            "Billing could not be reached, so nothing is held on your card yet: "
            "press Pay in a moment.",
        )
    elif order.hold_status == HoldStatus.FAILED:
        messages.error(
            request, f"The card was declined: {order.hold_failure or 'no reason given'}"
        )
    else:
        messages.info(request, "The bank is holding the amount on your card.")
    return redirect("shop:order", order_id=order.id)
