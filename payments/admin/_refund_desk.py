"""The refund desk on a payment's page: a form, a confirmation, then the refund.

Accounting (and superusers) fill in the amount (what is left, by default), a reason
and a note; the confirmation says exactly what will happen: the refund is sent to
the gateway now, or, at the approval threshold, a refund request is filed for a
second accounting user. Nothing is done before that confirmation.
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse

from billing.clock import billing_now
from billing.errors import DomainError
from billing.money import Money
from kit.admin import add_domain_error, service_page
from kit.api.permissions import may_move_money
from payments.models import Payment, PaymentStatus, RefundReason
from payments.services import (
    checked_refund_amount,
    needs_second_approver,
    refund_or_request,
    refundable_minor,
)

_CONFIRMED: Final = "confirmed"


class RefundDeskForm(forms.Form):
    """The refund of one payment, in its currency."""

    amount = forms.CharField(
        max_length=40, help_text="In major units of the payment's currency, e.g. 99.90."
    )
    reason = forms.ChoiceField(choices=RefundReason.choices)
    note = forms.CharField(
        widget=forms.Textarea, required=False, help_text="Kept in the audit trail."
    )

    def __init__(self, *args: Any, payment: Payment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment = payment

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "amount" not in data:
            return data
        try:
            amount = Money.parse(data["amount"], self.payment.currency)
            data["money"] = checked_refund_amount(self.payment, amount)
        except DomainError as error:
            self.add_error("amount", error.message)
        return data


class RefundDeskMixin(admin.ModelAdmin):
    """Adds the refund page to the payment admin, and its link to the change page."""

    def get_urls(self) -> list[URLPattern]:
        refund = path(
            "<path:object_id>/refund/",
            self.admin_site.admin_view(self.refund_view),
            name="payments_payment_refund",
        )
        return [refund, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        payment = self.get_object(request, object_id)
        offered = (
            payment is not None
            and payment.status == PaymentStatus.SUCCEEDED
            and refundable_minor(payment) > 0
            and may_move_money(request.user)
        )
        context = {
            **(extra_context or {}),
            "refund_url": (
                reverse("admin:payments_payment_refund", args=[object_id])
                if offered
                else None
            ),
        }
        return super().change_view(request, object_id, form_url, context)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask for the refund, confirm what will happen, then call the desk."""
        payment = self.get_object(request, object_id)
        if payment is None:
            raise Http404("No such payment.")
        if not may_move_money(request.user):
            raise PermissionDenied
        posted = request.POST if request.method == "POST" else None
        initial = {"amount": _remainder_text(payment)}
        form = RefundDeskForm(posted, payment=payment, initial=initial)
        if not form.is_valid():
            return service_page(
                self,
                request,
                title="Refund",
                intro=f"Captured {payment.captured.format()}, refunded "
                f"{payment.refunded.format()}.",
                form=form,
                submit="Next",
                obj=payment,
            )
        data = form.cleaned_data
        if _CONFIRMED not in request.POST:
            return self._confirmation(request, payment, form)
        try:
            outcome = refund_or_request(
                payment_id=payment.id,
                amount=data["money"],
                reason=data["reason"],
                note=data["note"],
                user=request.user,
                now=billing_now(),
            )
        except DomainError as error:
            add_domain_error(form, error)
            return service_page(
                self, request, title="Refund", form=form, submit="Next", obj=payment
            )
        if outcome.refund is not None:
            refund = outcome.refund
            self.message_user(
                request, f"Refund of {refund.amount.format()}: {refund.status}."
            )
        elif outcome.refund_request is not None:
            self.message_user(
                request,
                f"Refund request {outcome.refund_request.id} filed: another "
                "accounting user must approve it.",
            )
        return HttpResponseRedirect(
            reverse("admin:payments_payment_change", args=[payment.pk])
        )

    def _confirmation(
        self, request: HttpRequest, payment: Payment, form: RefundDeskForm
    ) -> HttpResponse:
        data = form.cleaned_data
        amount: Money = data["money"]
        if needs_second_approver(payment, amount):
            what = (
                f"A refund request for {amount.format()} will be filed. Nothing is "
                "refunded until another accounting user approves it, as this refund "
                "brings the payment's refunds to the approval threshold or above."
            )
        else:
            what = (
                f"{amount.format()} will be refunded to the payer now, through "
                f"{payment.get_gateway_display()}."
            )
        reason = RefundReason(data["reason"]).label
        return service_page(
            self,
            request,
            title="Confirm the refund",
            intro=f"{what} Reason: {reason}. Are you sure?",
            form=forms.Form(),
            submit="Yes, I'm sure",
            obj=payment,
            hidden=[
                ("amount", str(amount.to_decimal())),
                ("reason", data["reason"]),
                ("note", data["note"]),
                (_CONFIRMED, "yes"),
            ],
        )


def _remainder_text(payment: Payment) -> str:
    return str(Money(refundable_minor(payment), payment.currency).to_decimal())
