"""Input and output of the shop's order operations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kit.api.fields import StrictPositiveIntegerField
from snacks.models import HoldStatus, Order, OrderStatus, OrderTaskKind
from snacks.selectors import EARLIEST, LATEST
from snacks.services import MAX_PURCHASES, MAX_QUANTITY

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class PurchaseInput(serializers.Serializer[Any]):
    snack_id = serializers.UUIDField()
    quantity = StrictPositiveIntegerField(max_value=MAX_QUANTITY)


class OrderInput(serializers.Serializer[Any]):
    purchases = serializers.ListField(
        child=PurchaseInput(),
        min_length=1,
        max_length=MAX_PURCHASES,
        help_text=(
            "The snacks and how many of each. The same snack twice is one purchase "
            "of the summed quantity."
        ),
    )

    def purchase_pairs(self) -> list[tuple[Any, int]]:
        """The validated purchases as the services take them: (snack id, quantity)."""
        return [
            (purchase["snack_id"], purchase["quantity"])
            for purchase in self.validated_data["purchases"]
        ]


class OrderMoveInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=OrderStatus.choices, help_text="The status to move the order to."
    )
    expected_arrival = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "Required (today or later) for ORDERED; for SHIPPING, the one given "
            "when ordering is kept unless a new one is given. Refused for the "
            "other moves."
        ),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text="Why; kept in the order's trail, and as the cancel reason.",
    )


class MonthField(serializers.CharField):
    """A month as `YYYY-MM`, taken as its first day."""

    default_error_messages = {"month": "A month as YYYY-MM, e.g. 2026-03."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Orders placed in this month (YYYY-MM).")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        text = super().to_internal_value(data)
        match = _MONTH.fullmatch(text)
        if match is None or not 1 <= int(match[2]) <= 12:
            self.fail("month")
        month = dt.date(int(match[1]), int(match[2]), 1)
        if not EARLIEST <= month <= LATEST:
            self.fail("month")
        return month


class OrderFilters(serializers.Serializer[Any]):
    month = MonthField(required=False)
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    member = serializers.UUIDField(
        required=False,
        help_text="Orders of this member (admins; a member sees only their own).",
    )


class OrderedSnackOutput(serializers.Serializer[Any]):
    snack_id = serializers.UUIDField()
    name = serializers.CharField(source="snack.name")
    quantity = serializers.IntegerField()
    price_minor = serializers.IntegerField(
        help_text="The snack's price when it was ordered, in the order's currency."
    )
    amount_minor = serializers.IntegerField(help_text="Price times quantity.")


class OrderTaskOutput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=OrderTaskKind.choices)
    task_id = serializers.UUIDField(
        help_text="Its state at /api/v1/shop/tasks/<task_id>/."
    )
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class OrderStatusChangeOutput(serializers.Serializer[Any]):
    from_status = serializers.ChoiceField(choices=OrderStatus.choices)
    to_status = serializers.ChoiceField(choices=OrderStatus.choices)
    actor_id = serializers.UUIDField(
        allow_null=True, help_text="Null when billing's news moved it."
    )
    actor = serializers.CharField(source="actor_label")
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class OrderMemberOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()


class OrderOutput(serializers.Serializer[Order]):
    id = serializers.UUIDField()
    member = OrderMemberOutput()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    purchases = OrderedSnackOutput(many=True)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    expected_arrival = serializers.DateField(allow_null=True)
    cancel_reason = serializers.CharField()
    hold_status = serializers.ChoiceField(
        choices=HoldStatus.choices,
        help_text="What the shop knows of the hold on the member's card.",
    )
    hold_failure = serializers.CharField(help_text="Why the hold failed, if it did.")
    payment_id = serializers.UUIDField(
        allow_null=True, help_text="Billing's payment that holds the amount."
    )
    checkout_url = serializers.CharField(
        help_text="Where a member without a saved card pays; empty otherwise."
    )
    needs_attention = serializers.CharField(
        help_text="Why an admin must look at the order; empty when all is well."
    )
    tracking_number = serializers.CharField()
    invoice_pdf = serializers.SerializerMethodField()
    tasks = OrderTaskOutput(many=True)
    status_changes = OrderStatusChangeOutput(many=True)
    created_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    ordered_at = serializers.DateTimeField(allow_null=True)
    shipping_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    canceled_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text="Where to download the invoice; null until it is made.",
        )
    )
    def get_invoice_pdf(self, order: Order) -> str | None:
        if not order.invoice_pdf:
            return None
        url = reverse("shop-api:order-invoice", args=[str(order.id)])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
