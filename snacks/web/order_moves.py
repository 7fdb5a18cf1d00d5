"""The actions of an order's page: ask for the hold again, cancel, try again after a
declined card, and an admin's move through the flow.

Each posts and goes back to the order's page with a message; a form that needs
correcting (a refusal included) is shown again on the page, as it was typed.
"""

from __future__ import annotations

import uuid
from typing import Final

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from snacks import services
from snacks.errors import (
    HoldNotAuthorized,
    InvalidOrder,
    InvalidOrderTransition,
    OrderMoveForbidden,
    OrderNotEditable,
    SnacksHated,
)
from snacks.models import HoldStatus, OrderStatus
from snacks.templatetags.shop_orders import hold_label
from snacks.web.access import member_page, shop_user
from snacks.web.order_holds import after_hold, ask_for_hold
from snacks.web.order_move_forms import CancelForm, MoveForm
from snacks.web.orders import (
    CANCELABLE,
    ORDER_REFUSALS,
    PENDING_HOLDS,
    next_statuses,
    render_order_page,
    visible_order,
)

# What a move may be refused for, in words on its form.
MOVE_REFUSALS: Final = (
    InvalidOrder,
    InvalidOrderTransition,
    SnacksHated,
    HoldNotAuthorized,
    OrderNotEditable,
)
ONLY_ADMINS = (
    "Only an admin of the shop may move an order; a member may only cancel their order."
)


@member_page
@require_POST
def order_pay(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    user = shop_user(request)
    order = visible_order(order_id, viewer=user)
    if order.status not in CANCELABLE:
        messages.error(
            request, f"The order is {order.status.lower()}: it is not paid for now."
        )
        return redirect("shop:order", order_id=order.id)
    return after_hold(request, ask_for_hold(order, viewer=user, now=timezone.now()))


@member_page
@require_POST
def order_cancel(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    user = shop_user(request)
    order = visible_order(order_id, viewer=user)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.move_order(
                order_id=order.id,
                to_status=OrderStatus.CANCELED,
                actor=user,
                now=timezone.now(),
                reason=form.cleaned_data["reason"],
            )
        except (*MOVE_REFUSALS, OrderMoveForbidden) as refused:
            form.add_refusal(refused)
        else:
            messages.success(
                request, "The order is canceled; a hold on the card is released."
            )
            return redirect("shop:order", order_id=order.id)
    return render_order_page(request, order, cancel_form=form)


@member_page
@require_POST
def order_move(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    user = shop_user(request)
    order = visible_order(order_id, viewer=user)
    form = MoveForm(next_statuses(order), request.POST)
    if not form.is_valid():
        if not user.is_shop_admin:
            return _refused(request, ONLY_ADMINS)
        return render_order_page(request, order, move_form=form)
    to_status = form.cleaned_data["status"]
    try:
        services.move_order(
            order_id=order.id,
            to_status=to_status,
            actor=user,
            now=timezone.now(),
            expected_arrival=form.cleaned_data["expected_arrival"],
            reason=form.cleaned_data["reason"],
        )
    except OrderMoveForbidden as refused:
        return _refused(request, refused.message)
    except HoldNotAuthorized:
        form.add_error(
            None,
            "The card hold is not authorized yet (it is "
            f"{hold_label(order.hold_status)}): the order can be ordered once the "
            "bank holds the amount.",
        )
    except MOVE_REFUSALS as refused:
        form.add_refusal(refused)
    else:
        messages.success(request, f"The order is {to_status.lower()}.")
        return redirect("shop:order", order_id=order.id)
    return render_order_page(request, order, move_form=form)


@member_page
@require_POST
def order_again(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    """A new order of the same snacks and quantities, after a declined card canceled
    this one; on to its card page."""
    user = shop_user(request)
    order = visible_order(order_id, viewer=user)
    back = redirect("shop:order", order_id=order.id)
    if order.member_id != user.id:
        messages.error(request, "Only the order's member can order its snacks again.")
        return back
    if order.status != OrderStatus.CANCELED:
        if order.hold_status in PENDING_HOLDS:
            messages.info(
                request, "The bank's answer is still on its way; try again in a moment."
            )
        else:
            messages.error(request, "The order is still open: nothing to try again.")
        return back
    if order.hold_status != HoldStatus.FAILED:
        messages.error(
            request,
            "Only an order a declined card canceled can be tried again; place a new "
            "order instead.",
        )
        return back
    now = timezone.now()
    try:
        again = services.place_order(
            member=user,
            purchases=[(p.snack_id, p.quantity) for p in order.purchases.all()],
            now=now,
        )
    except ORDER_REFUSALS as refused:
        messages.error(
            request, f"The snacks cannot be ordered again: {refused.message}"
        )
        return back
    return after_hold(request, ask_for_hold(again, viewer=user, now=now))


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "shop/refused.html", {"reason": reason}, status=403)
