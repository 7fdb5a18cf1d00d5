"""Placing an order, and an order's page: its snacks, payment, work and trail.

The order form posts here; the page's actions (pay, cancel, try again, move) post
to `order_moves`, which shows this page again when a form needs correcting. The
page's script follows the order through the API while something can still change.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Final

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import User
from snacks import selectors, services
from snacks.decline_reasons import decline_reason
from snacks.errors import InvalidOrder, OrderNotFound, SnackAlreadyOrdered, SnackRetired
from snacks.models import ALLOWED_ORDER_TRANSITIONS, HoldStatus, Order, OrderStatus
from snacks.web.access import member_page, shop_user
from snacks.web.order_forms import OrderForm
from snacks.web.order_holds import after_hold, ask_for_hold
from snacks.web.order_move_forms import CancelForm, MoveForm

# What placing an order may be refused for, in words on the form.
ORDER_REFUSALS: Final = (InvalidOrder, SnackAlreadyOrdered, SnackRetired)
# The order's member may cancel it, and the hold be asked for, only while so.
CANCELABLE: Final = frozenset({OrderStatus.CREATED, OrderStatus.APPROVED})
# Holds that asking again replaces with a new attempt (`request_hold`).
PAYABLE_HOLDS: Final = frozenset(
    {HoldStatus.NONE, HoldStatus.FAILED, HoldStatus.VOIDED}
)
# Holds billing's news no longer changes on a closed order.
SETTLED_HOLDS: Final = PAYABLE_HOLDS | {HoldStatus.CAPTURED}
# The hold of an order whose bank answer is still on its way.
PENDING_HOLDS: Final = frozenset({HoldStatus.REQUESTED, HoldStatus.REQUIRES_ACTION})
# The flow's order, for listing the moves an order has.
FLOW: Final = list(OrderStatus)
_REASON_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@member_page
@require_http_methods(["GET", "HEAD", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    user = shop_user(request)
    snacks = list(selectors.ranked_snacks())
    if request.method == "POST":
        form = OrderForm(snacks, request.POST)
    else:
        form = OrderForm(snacks, picked=_uuid(request.GET.get("snack")))
    if form.is_valid():
        now = timezone.now()
        try:
            order = services.place_order(
                member=user, purchases=form.purchases(), now=now
            )
        except ORDER_REFUSALS as refused:
            form.add_order_refusal(refused)
        else:
            return after_hold(request, ask_for_hold(order, viewer=user, now=now))
    return render(request, "shop/order_new.html", {"form": form})


@member_page
def order_page(request: HttpRequest, order_id: uuid.UUID) -> HttpResponse:
    user = shop_user(request)
    return render_order_page(request, visible_order(order_id, viewer=user))


def visible_order(order_id: uuid.UUID, *, viewer: User) -> Order:
    """:raises Http404: for an unknown order, or another member's."""
    try:
        return selectors.order_get(order_id=order_id, viewer=viewer)
    except OrderNotFound:
        raise Http404("No order of yours has this id.") from None


def render_order_page(
    request: HttpRequest,
    order: Order,
    *,
    cancel_form: CancelForm | None = None,
    move_form: MoveForm | None = None,
) -> HttpResponse:
    user = shop_user(request)
    is_member = order.member_id == user.id
    moves = next_statuses(order)
    if move_form is None and user.is_shop_admin and moves:
        move_form = MoveForm(moves)
    checkout = checkout_notice(request.GET)
    context: dict[str, Any] = {
        "order": order,
        "is_member": is_member,
        "is_settled": is_settled(order),
        "checkout": checkout,
        "can_pay": order.status in CANCELABLE and order.hold_status in PAYABLE_HOLDS,
        "can_try_again": is_member and _may_try_again(order, checkout),
        "cancel_form": cancel_form or CancelForm(),
        # A refused cancellation is shown with its form, whatever the status.
        "can_cancel": order.status in CANCELABLE or cancel_form is not None,
        "move_form": move_form,
    }
    return render(request, "shop/order.html", context)


def next_statuses(order: Order) -> list[str]:
    """The statuses the flow lets the order move to, in the flow's order."""
    allowed = ALLOWED_ORDER_TRANSITIONS[order.status]
    return [status for status in FLOW if status in allowed]


def is_settled(order: Order) -> bool:
    """Whether nothing can change on the order any more: closed, its hold final,
    its invoice made once the hold is taken, and its work done."""
    if order.status not in (OrderStatus.COMPLETED, OrderStatus.CANCELED):
        return False
    if order.hold_status not in SETTLED_HOLDS:
        return False
    if order.hold_status == HoldStatus.CAPTURED and not order.invoice_pdf:
        return False
    return all(task.finished_at is not None for task in order.tasks.all())


def checkout_notice(query: QueryDict) -> dict[str, str] | None:
    """What to say when billing's card page sends the member back
    (`?checkout=<id>&status=succeeded|failed&reason=<code>`)."""
    if not query.get("checkout"):
        return None
    outcome = query.get("status")
    if outcome == "succeeded":
        return {"outcome": "succeeded", "text": "Thank you — your card was accepted."}
    if outcome == "failed":
        reason = query.get("reason", "")
        because = decline_reason(reason) if _REASON_CODE.fullmatch(reason) else ""
        return {
            "outcome": "failed",
            "text": f"The card was declined: {because}."
            if because
            else "The card was declined.",
        }
    return None


def _may_try_again(order: Order, checkout: dict[str, str] | None) -> bool:
    if order.status == OrderStatus.CANCELED:
        return order.hold_status == HoldStatus.FAILED
    return (
        checkout is not None
        and checkout["outcome"] == "failed"
        and order.status in CANCELABLE
        and order.hold_status in PENDING_HOLDS
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None
