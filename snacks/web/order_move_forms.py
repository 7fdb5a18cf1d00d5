"""The forms of an order's page that move it: canceling it, and an admin's move to
the next status of the flow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from snacks.models import OrderStatus
from snacks.web.form_base import ShopForm

REASON_MAX_LENGTH = 1000


def _reason_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea({"rows": 2}),
    )


class CancelForm(ShopForm):
    prefix = "cancel"

    reason = _reason_field("Why (optional)")
    confirm = forms.BooleanField(
        label="I want to cancel this order",
        error_messages={"required": "Tick the box to confirm that you cancel it."},
    )


class MoveForm(ShopForm):
    """A move to one of `moves` (the page lists only the flow's next statuses; the
    service says why any other is refused)."""

    prefix = "move"

    status = forms.ChoiceField(
        label="Move the order to",
        choices=OrderStatus.choices,
        error_messages={"required": "Choose the status to move the order to."},
    )
    expected_arrival = forms.DateField(
        label="Expected arrival",
        required=False,
        help_text=(
            "Needed when ordering (today or later); when shipping, the date given "
            "when ordering is kept unless you give a new one."
        ),
        error_messages={"invalid": "Give a date as YYYY-MM-DD."},
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
    )
    reason = _reason_field("Reason (optional)")

    def __init__(self, moves: Sequence[str], data: Any = None) -> None:
        super().__init__(data)
        self.fields["status"].widget = forms.Select(
            choices=[("", "Choose…")]
            + [(move, OrderStatus(move).label) for move in moves]
        )
