"""Subscriptions: shown read-only, changed only by actions that call the services.

Money, status, periods and the dunning state are read-only. Accounting (and
superusers) may cancel, undo a cancellation, pause, resume and retry a past-due
charge, each after a confirmation; support staff see the same pages without the
actions, and a refund with a cancellation is accounting's even for staff granted
the actions. The renewal run picks every change up at its next sweep.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from billing import selectors as billing_selectors
from billing.clock import billing_now
from billing.money import Money
from kit.admin import (
    EMPTY,
    as_uuid,
    confirm_then_apply,
    link,
    link_column,
    status_change_table,
)
from kit.admin.money_fields import MovesMoneyBooleanField
from payments.models import PaymentMethod
from subscriptions.admin._filters import DunningFilter, PendingChangeFilter
from subscriptions.admin._forecast import RenewalForecastAdmin
from subscriptions.admin._privacy import TITLE as FORGET_TITLE
from subscriptions.admin._privacy import ForgetPayerForm, forget_payer_of
from subscriptions.models import Subscription
from subscriptions.services import (
    cancel_subscription,
    pause_subscription,
    resume_subscription,
    retry_past_due_now,
    undo_cancellation,
)

# The subscription page lists this many of its latest invoices.
RECENT_INVOICES = 24


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200, required=False, help_text="Kept in the audit trail."
    )


class CancelNowForm(CancelForm):
    refund_unused = MovesMoneyBooleanField(
        required=False,
        label="Refund the unused part",
        help_text="Prorated to the microsecond, of a paid period. Accounting only.",
    )


def _describe(subscription: Subscription) -> str:
    return (
        f"{subscription.id} ({subscription.status}, plan {subscription.plan.code}, "
        f"payer {subscription.payer_id})"
    )


Apply = Callable[[Subscription, dict[str, Any], dt.datetime, str], str]


def _confirmed_action(
    name: str, description: str, apply: Apply, form_class: type[forms.Form] = forms.Form
) -> Callable[..., TemplateResponse | None]:
    """An action for accounting that asks first, then calls `apply` per row."""

    def action(
        modeladmin: SubscriptionAdmin,
        request: HttpRequest,
        queryset: QuerySet[Subscription],
    ) -> TemplateResponse | None:
        return confirm_then_apply(
            modeladmin,
            request,
            queryset,
            title=description,
            clock=billing_now,
            apply=apply,
            form_class=form_class,
            describe=_describe,
        )

    action.__name__ = name
    return admin.action(description=description, permissions=["operate"])(action)


def _cancel_now(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    cancellation = cancel_subscription(
        subscription_id=row.id,
        now=now,
        actor=actor,
        at_period_end=False,
        refund_unused=data["refund_unused"],
        reason=data["reason"],
    )
    refunded = "".join(
        f" Refund of {refund.amount.format()}: {refund.status}."
        for refund in cancellation.refunds
    )
    return f"{row.id} is {cancellation.subscription.status}.{refunded}"


def _cancel_at_period_end(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    subscription = cancel_subscription(
        subscription_id=row.id,
        now=now,
        actor=actor,
        at_period_end=True,
        reason=data["reason"],
    ).subscription
    return f"{row.id} will be canceled at {subscription.cancel_at}."


def _undo_cancellation(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    undo_cancellation(subscription_id=row.id, now=now, actor=actor)
    return f"{row.id} continues: its cancellation is undone."


def _pause(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    pause_subscription(subscription_id=row.id, now=now, actor=actor)
    return f"{row.id} is paused."


def _resume(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    subscription = resume_subscription(subscription_id=row.id, now=now, actor=actor)
    return (
        f"{row.id} is {subscription.status} again; its period ends at "
        f"{subscription.current_period_ends_at}."
    )


def _retry_now(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    retry_past_due_now(subscription_id=row.id, now=now, actor=actor)
    return f"{row.id} will be charged again at the next renewal run."


cancel_now = _confirmed_action("cancel_now", "Cancel now", _cancel_now, CancelNowForm)
cancel_at_period_end = _confirmed_action(
    "cancel_at_period_end", "Cancel at period end", _cancel_at_period_end, CancelForm
)
undo_cancellation_at_period_end = _confirmed_action(
    "undo_cancellation", "Undo the cancellation at period end", _undo_cancellation
)
pause = _confirmed_action("pause", "Pause", _pause)
resume = _confirmed_action("resume", "Resume", _resume)
retry_now = _confirmed_action("retry_now", "Retry the past-due charge now", _retry_now)
forget_payers = _confirmed_action(
    "forget_payers", FORGET_TITLE, forget_payer_of, ForgetPayerForm
)


@admin.register(Subscription)
class SubscriptionAdmin(RenewalForecastAdmin):
    payer_link = link_column(
        "admin:billing_payer_change",
        "payer_id",
        description="payer",
        ordering="payer_id",
    )
    list_display = (
        "id",
        "created_at",
        "payer_link",
        "plan",
        "status",
        "price_display",
        "current_period_ends_at",
        "next_retry_at",
        "pending_display",
        "gateway",
    )
    list_filter = (
        "status",
        DunningFilter,
        PendingChangeFilter,
        "gateway",
        "plan",
    )
    list_select_related = ("plan", "price", "scheduled_plan")
    search_fields = ("id", "payer")
    search_help_text = "A subscription or payer UUID (exact)."
    ordering = ("-created_at", "-id")
    actions = (
        cancel_now,
        cancel_at_period_end,
        undo_cancellation_at_period_end,
        pause,
        resume,
        retry_now,
        forget_payers,
    )
    fieldsets = (
        (None, {"fields": ("id", "payer_link", "plan_link", "status", "gateway")}),
        (None, {"fields": ("card", "price_display", "credit_display")}),
        (
            "Period",
            {
                "fields": (
                    "current_period_starts_at",
                    "current_period_ends_at",
                    "trial_ends_at",
                    "billing_anchor_at",
                    "time_zone",
                )
            },
        ),
        (
            "Pending changes",
            {"fields": ("cancel_at", "cancel_reason", "scheduled_plan_display")},
        ),
        (
            "Dunning",
            {
                "fields": (
                    "past_due_since",
                    "retry_count",
                    "next_retry_at",
                    "needs_new_payment_method",
                )
            },
        ),
        ("Renewal run", {"fields": ("due_at", "claimed_by", "latest_payment_id")}),
        (
            "Dates",
            {
                "fields": (
                    "created_at",
                    "activated_at",
                    "paused_at",
                    "canceled_at",
                    "ended_at",
                    "updated_at",
                )
            },
        ),
        ("Invoices", {"fields": ("invoices",)}),
        ("Audit trail", {"fields": ("audit_trail",)}),
    )

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Whether the user may change subscriptions through the actions."""
        return request.user.has_perm("subscriptions.change_subscription")

    def search_query(self, term: str) -> Q:
        parsed = as_uuid(term)
        return Q(id=parsed) | Q(payer_id=parsed) if parsed else Q(pk__in=[])

    @admin.display(description="plan")
    def plan_link(self, subscription: Subscription) -> SafeString | str:
        return link(
            "admin:subscriptions_plan_change", subscription.plan_id, subscription.plan
        )

    @admin.display(description="price")
    def price_display(self, subscription: Subscription) -> str:
        return subscription.price.amount.format()

    @admin.display(description="credit")
    def credit_display(self, subscription: Subscription) -> str:
        if not subscription.credit_minor:
            return EMPTY
        return Money(subscription.credit_minor, subscription.price.currency).format()

    @admin.display(description="pending")
    def pending_display(self, subscription: Subscription) -> str:
        pending = []
        if subscription.cancel_at is not None:
            pending.append(f"cancel at {subscription.cancel_at:%Y-%m-%d %H:%M}")
        if subscription.scheduled_plan is not None:
            pending.append(f"to {subscription.scheduled_plan.code}")
        return ", ".join(pending) or EMPTY

    @admin.display(description="plan change at period end")
    def scheduled_plan_display(self, subscription: Subscription) -> SafeString | str:
        if subscription.scheduled_plan is None:
            return EMPTY
        price = subscription.scheduled_price
        return format_html(
            "{} at {}",
            link(
                "admin:subscriptions_plan_change",
                subscription.scheduled_plan_id,
                subscription.scheduled_plan,
            ),
            price.amount.format() if price is not None else EMPTY,
        )

    @admin.display(description="card")
    def card(self, subscription: Subscription) -> SafeString | str:
        if subscription.payment_method_id is None:
            return "the payer's default card"
        method = (
            PaymentMethod.objects.defer("token", "token_digest")
            .filter(id=subscription.payment_method_id)
            .first()
        )
        if method is None:
            return EMPTY
        return link("admin:payments_paymentmethod_change", method.id, method)

    @admin.display(description=f"latest {RECENT_INVOICES} invoices")
    def invoices(self, subscription: Subscription) -> SafeString | str:
        filters = billing_selectors.InvoiceFilters(subscription_id=subscription.id)
        invoices = billing_selectors.invoice_list(filters=filters)[:RECENT_INVOICES]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} \N{EN DASH} {}</td>"
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    link(
                        "admin:billing_invoice_change",
                        invoice.pk,
                        invoice.display_number,
                    ),
                    invoice.get_billing_reason_display(),
                    invoice.period_starts_at or EMPTY,
                    invoice.period_ends_at or EMPTY,
                    invoice.total.format(),
                    invoice.status,
                )
                for invoice in invoices
            ),
        )
        if not body:
            return EMPTY
        return format_html(
            "<table><thead><tr><th>invoice</th><th>reason</th><th>period</th>"
            "<th>total</th><th>status</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="status changes")
    def audit_trail(self, subscription: Subscription) -> SafeString | str:
        return status_change_table(
            billing_selectors.audit_trail(
                object_type="subscription", object_id=subscription.id
            )
        )
