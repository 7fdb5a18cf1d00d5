"""A member's order of snacks, its purchases, its hold on the member's card, the
Celery work it starts and the trail of its moves.

The order's money is held and taken by billing; the shop keeps only billing's
payment id and what billing's event stream told about it (`hold_status`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Final

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from snacks.errors import InvalidOrderTransition
from snacks.models._snacks import Snack


class OrderStatus(models.TextChoices):
    CREATED = "CREATED"
    APPROVED = "APPROVED"
    ORDERED = "ORDERED"
    SHIPPING = "SHIPPING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"


ALLOWED_ORDER_TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    OrderStatus.CREATED: frozenset({OrderStatus.APPROVED, OrderStatus.CANCELED}),
    OrderStatus.APPROVED: frozenset({OrderStatus.ORDERED, OrderStatus.CANCELED}),
    OrderStatus.ORDERED: frozenset({OrderStatus.SHIPPING}),
    OrderStatus.SHIPPING: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
}
# An open order still holds its snacks: the member cannot order them again.
OPEN_ORDER_STATUSES: Final = frozenset(
    {
        OrderStatus.CREATED,
        OrderStatus.APPROVED,
        OrderStatus.ORDERED,
        OrderStatus.SHIPPING,
    }
)
_STAMPS: Final = {
    OrderStatus.APPROVED: "approved_at",
    OrderStatus.ORDERED: "ordered_at",
    OrderStatus.SHIPPING: "shipping_at",
    OrderStatus.COMPLETED: "completed_at",
    OrderStatus.CANCELED: "canceled_at",
}


class HoldStatus(models.TextChoices):
    """What the shop knows of the order's hold on the member's card."""

    # Not asked for yet, or the last request did not reach billing.
    NONE = "NONE"
    # Asked for (AuthorizePayment or the hosted checkout page); no outcome yet.
    REQUESTED = "REQUESTED"
    # The member must act: 3-D Secure or the checkout page (`checkout_url`).
    REQUIRES_ACTION = "REQUIRES_ACTION"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    FAILED = "FAILED"


class Order(models.Model):
    """A member's order: its purchases are in one currency, `amount_minor` is their
    sum, and the status follows `ALLOWED_ORDER_TRANSITIONS`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=9, choices=OrderStatus.choices, default=OrderStatus.CREATED
    )
    # The sum of price times quantity of the purchases, kept by the services.
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    # Required (and not in the past when set) for ORDERED and SHIPPING.
    expected_arrival = models.DateField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    # The hold: billing's payment, what the event stream told of it, and the
    # hosted page a member without a saved card pays on.
    hold_status = models.CharField(
        max_length=15, choices=HoldStatus.choices, default=HoldStatus.NONE
    )
    payment_id = models.UUIDField(null=True, blank=True)
    # Each new hold (after an edit changed the amount) takes a new idempotency key.
    hold_attempt = models.PositiveSmallIntegerField(default=0)
    checkout_url = models.URLField(max_length=1000, blank=True)
    hold_failure = models.TextField(blank=True)

    # The shipping partner's registration, or why it needs an admin.
    shipment_id = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True)
    needs_attention = models.TextField(blank=True)
    invoice_pdf = models.FileField(upload_to="shop/invoices/", blank=True)

    created_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    ordered_at = models.DateTimeField(null=True, blank=True)
    shipping_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values),
                name="snacks_order_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(hold_status__in=HoldStatus.values),
                name="snacks_order_hold_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0),
                name="snacks_order_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="snacks_order_currency_iso_shape",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=[OrderStatus.ORDERED, OrderStatus.SHIPPING],
                    expected_arrival__isnull=True,
                ),
                name="snacks_order_arrival_when_ordered",
            ),
            models.UniqueConstraint(
                fields=["payment_id"],
                condition=models.Q(payment_id__isnull=False),
                name="snacks_order_one_per_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-created_at"]),
            # Statistics and the admins' list, by period.
            models.Index(fields=["created_at", "status"]),
        ]

    def __str__(self) -> str:
        return f"Order {self.id} ({self.status})"

    @property
    def reference(self) -> str:
        """What billing knows this order by (`client_reference`, event `pays`)."""
        return f"order:{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    def can_transition_to(self, status: str) -> bool:
        return status in ALLOWED_ORDER_TRANSITIONS[self.status]

    def transition_to(self, status: str, *, at: dt.datetime) -> str:
        """Move to `status`, stamping its time; return the status left.

        :raises InvalidOrderTransition: when the flow does not allow the move.
        """
        if not self.can_transition_to(status):
            raise InvalidOrderTransition(self.status, status, order_id=self.id)
        previous: str = self.status
        self.status = status
        self.updated_at = at
        if stamp := _STAMPS.get(OrderStatus(status)):
            setattr(self, stamp, at)
        return previous


class Purchase(models.Model):
    """A snack and a quantity in an order, at the price the snack had then (in the
    order's currency)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="purchases")
    snack = models.ForeignKey(Snack, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_minor = models.BigIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "snack"], name="snacks_purchase_one_per_snack"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="snacks_purchase_quantity_1"
            ),
            models.CheckConstraint(
                condition=models.Q(price_minor__gt=0),
                name="snacks_purchase_price_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["snack", "order"]),
        ]

    def __str__(self) -> str:
        return f"Purchase {self.pk} ({self.quantity} of snack {self.snack_id})"

    @property
    def amount_minor(self) -> int:
        return self.price_minor * self.quantity


class OrderTaskKind(models.TextChoices):
    CONFIRMATION_EMAIL = "confirmation_email"
    INVOICE_PDF = "invoice_pdf"
    CAPTURE_HOLD = "capture_hold"
    VOID_HOLD = "void_hold"
    SHIPPING_REGISTRATION = "shipping_registration"
    SHIPPING_NOTICE = "shipping_notice"


class OrderTask(models.Model):
    """A piece of the order's Celery work, started once per order, kind and
    subject; its state and progress are django-celery-results' row of `task_id`."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=24, choices=OrderTaskKind.choices)
    # What the work is about when an order may need it more than once: the
    # payment a capture or void is for (an edit replaces the hold). Else empty.
    subject = models.CharField(max_length=64, blank=True)
    task_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField()
    # Set when the work is done, so that a task run again (a redelivered message,
    # a retry) finds it done and does nothing.
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "subject"], name="snacks_order_task_once"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=OrderTaskKind.values),
                name="snacks_order_task_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"OrderTask {self.task_id} ({self.kind} of order {self.order_id})"


class OrderStatusChange(models.Model):
    """One move of an order in its flow, who made it and why: appended by
    `snacks.services.move_order` and never changed."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=9, choices=OrderStatus.choices)
    to_status = models.CharField(max_length=9, choices=OrderStatus.choices)
    # The member or admin who moved it; None when the shop did (billing's events).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who it was as shown then (an e-mail, or "billing"), kept as the trail's text.
    actor_label = models.CharField(max_length=254)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_status__in=OrderStatus.values)
                & models.Q(to_status__in=OrderStatus.values),
                name="snacks_order_status_change_valid",
            ),
        ]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return (
            f"OrderStatusChange {self.pk} ({self.from_status} to {self.to_status} "
            f"of order {self.order_id})"
        )
