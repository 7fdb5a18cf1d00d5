"""Refund requests: listed for every staff role, decided by a second accounting user.

Approve and Reject are object actions on the request's page, each a page that says
what will happen and asks (a rejection with its reason); the requester is refused
by the service, with the refusal shown on the form. Money and status are read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString

from billing import selectors as billing_selectors
from billing.clock import billing_now
from billing.errors import DomainError
from kit.admin import (
    EMPTY,
    add_domain_error,
    as_uuid,
    link,
    money,
    service_page,
    status_change_table,
)
from kit.api.permissions import may_move_money
from payments.admin._base import PaymentRecordAdmin
from payments.models import RefundRequest, RefundRequestStatus
from payments.services import approve_refund_request, reject_refund_request

Decide = Callable[..., RefundRequest]


class ApproveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea, required=False, help_text="Kept in the audit trail."
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea, help_text="Why: kept with the request and its trail."
    )


@admin.register(RefundRequest)
class RefundRequestAdmin(PaymentRecordAdmin):
    list_display = (
        "id",
        "requested_at",
        "payment_link",
        "status",
        "amount_display",
        "reason",
        "requested_by",
        "decided_by",
        "refund_link",
    )
    list_filter = ("status", "currency", "reason")
    list_select_related = ("requested_by", "decided_by")
    search_fields = ("id", "payment")
    search_help_text = "A request, payment or payer UUID (exact)."
    ordering = ("-requested_at",)
    fields = (
        "id",
        "payment_link",
        "status",
        "amount_display",
        "reason",
        "note",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "refund_link",
        "failure_code",
        "updated_at",
        "audit_trail",
    )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(view),
                name=f"payments_refundrequest_{name}",
            )
            for name, view in (
                ("approve", self.approve_view),
                ("reject", self.reject_view),
            )
        ]
        return [*own, *super().get_urls()]

    def search_query(self, term: str) -> Q:
        parsed = as_uuid(term)
        if parsed is None:
            return Q(pk__in=[])
        return Q(id=parsed) | Q(payment_id=parsed) | Q(payment__payer_id=parsed)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        row = self.get_object(request, object_id)
        offered = row is not None and _may_decide(request, row)
        context = {
            **(extra_context or {}),
            **{
                f"{name}_url": (
                    reverse(f"admin:payments_refundrequest_{name}", args=[object_id])
                    if offered
                    else None
                )
                for name in ("approve", "reject")
            },
        }
        return super().change_view(request, object_id, form_url, context)

    def approve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision(
            request,
            object_id,
            title="Approve and refund",
            form_class=ApproveForm,
            decide=approve_refund_request,
            what="will be refunded to the payer now, through the gateway",
        )

    def reject_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._decision(
            request,
            object_id,
            title="Reject",
            form_class=RejectForm,
            decide=reject_refund_request,
            what="will not be refunded; the request is closed",
        )

    def _decision(
        self,
        request: HttpRequest,
        object_id: str,
        *,
        title: str,
        form_class: type[forms.Form],
        decide: Decide,
        what: str,
    ) -> HttpResponse:
        row = self.get_object(request, object_id)
        if row is None:
            raise Http404("No such refund request.")
        if not may_move_money(request.user):
            raise PermissionDenied
        if not _may_decide(request, row):
            self.message_user(
                request,
                f"{row} is {row.get_status_display().lower()}: "
                "only another accounting user decides a pending request.",
                messages.WARNING,
            )
            return HttpResponseRedirect(
                reverse("admin:payments_refundrequest_change", args=[row.pk])
            )
        form = form_class(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                decided = decide(
                    request_id=row.id,
                    user=request.user,
                    note=form.cleaned_data["note"],
                    now=billing_now(),
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                self.message_user(request, f"{decided}.")
                return HttpResponseRedirect(
                    reverse("admin:payments_refundrequest_change", args=[row.pk])
                )
        return service_page(
            self,
            request,
            title=title,
            intro=f"{row.amount.format()} of payment {row.payment_id} {what}. "
            f"Requested by {row.requested_by} ({row.get_reason_display()}): "
            f"{(row.note or EMPTY).rstrip('.')}. Are you sure?",
            form=form,
            submit="Yes, I'm sure",
            obj=row,
        )

    @admin.display(description="amount", ordering="amount_minor")
    def amount_display(self, row: RefundRequest) -> str:
        return money(row.amount)

    @admin.display(description="refund")
    def refund_link(self, row: RefundRequest) -> SafeString | str:
        return link("admin:payments_refund_change", row.refund_id, row.refund_id)

    @admin.display(description="status changes of the request")
    def audit_trail(self, row: RefundRequest) -> SafeString | str:
        return status_change_table(
            billing_selectors.audit_trail(
                object_type="refund_request", object_id=row.id
            )
        )


def _may_decide(request: HttpRequest, row: RefundRequest) -> bool:
    """Offered to accounting for a pending request someone else filed (the service
    refuses the rest too)."""
    return (
        row.status == RefundRequestStatus.PENDING
        and row.requested_by_id != request.user.pk
        and may_move_money(request.user)
    )
