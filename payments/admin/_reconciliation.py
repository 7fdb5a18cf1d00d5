"""The accounting desk's reconciliation: runs, a day reconciled on demand, and the
discrepancies they found, resolved one by one with a note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString

from billing.admin.audit import audit_trail_column
from billing.clock import billing_now
from kit.actors import staff_actor
from kit.admin import (
    ReadOnlyAdmin,
    as_uuid,
    confirm_then_apply,
    link_column,
    money,
    pretty_json,
    service_page,
)
from payments.models import Discrepancy, ReconciliationRun
from payments.services import (
    gateway_money,
    request_reconciliation,
    resolve_discrepancy,
)


class ReconcileForm(forms.Form):
    gateway = forms.ChoiceField(choices=())
    day = forms.DateField(
        help_text="The day (UTC) to reconcile.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gateway = self.fields["gateway"]
        assert isinstance(gateway, forms.ChoiceField)
        gateway.choices = [(code, code) for code in sorted(settings.PAYMENT_GATEWAYS)]

    def clean_day(self) -> dt.date:
        day: dt.date = self.cleaned_data["day"]
        if day > billing_now().date():
            raise forms.ValidationError("That day has not begun yet.")
        return day


class ResolveForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was found and done; kept in the audit trail.",
    )


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "gateway",
        "status",
        "passes",
        "operations",
        "settled",
        "found",
        "new_discrepancies",
        "gateway_fees",
        "finished_at",
    )
    list_filter = ("gateway", "status")
    date_hierarchy = "day"
    ordering = ("-day", "gateway")
    search_fields = ("day",)
    search_help_text = "A day (YYYY-MM-DD)."
    fields = (
        "gateway",
        "day",
        "status",
        "passes",
        "operations",
        "settled",
        "found",
        "gateway_captured",
        "gateway_refunded",
        "gateway_fees",
        "report_display",
        "error",
        "started_by",
        "started_at",
        "finished_at",
        "cursor",
    )

    def get_urls(self) -> list[URLPattern]:
        run = path(
            "reconcile/",
            self.admin_site.admin_view(self.reconcile_view),
            name="payments_reconciliationrun_reconcile",
        )
        return [run, *super().get_urls()]

    def reconcile_view(self, request: HttpRequest) -> HttpResponse:
        """Reconcile a gateway's day now: queued for a worker, like Beat's runs."""
        if not request.user.has_perm("payments.add_reconciliationrun"):
            raise PermissionDenied
        yesterday = billing_now().date() - dt.timedelta(days=1)
        form = ReconcileForm(request.POST or None, initial={"day": yesterday})
        if request.method == "POST" and form.is_valid():
            gateway, day = form.cleaned_data["gateway"], form.cleaned_data["day"]
            request_reconciliation(gateway=gateway, day=day, actor=staff_actor(request))
            self.message_user(
                request,
                f"Reconciliation of {gateway} on {day} started; its run appears "
                "here when it has read the gateway's list.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:payments_reconciliationrun_changelist")
            )
        return service_page(
            self,
            request,
            title="Reconcile a day",
            intro="Compare the gateway's operations of a day with ours. A day "
            "reconciled before is checked again; nothing is recorded twice.",
            form=form,
            submit="Reconcile",
        )

    @admin.display(description="found")
    def found(self, run: ReconciliationRun) -> str:
        found = run.report.get("found", {})
        return ", ".join(f"{kind}: {n}" for kind, n in sorted(found.items())) or "-"

    @admin.display(description="new")
    def new_discrepancies(self, run: ReconciliationRun) -> int:
        return int(run.report.get("new", 0))

    @admin.display(description="the gateway captured")
    def gateway_captured(self, run: ReconciliationRun) -> str:
        return _amounts(run, "captured")

    @admin.display(description="the gateway refunded")
    def gateway_refunded(self, run: ReconciliationRun) -> str:
        return _amounts(run, "refunded")

    @admin.display(description="fees")
    def gateway_fees(self, run: ReconciliationRun) -> str:
        return _amounts(run, "fees")

    @admin.display(description="report")
    def report_display(self, run: ReconciliationRun) -> SafeString:
        return pretty_json(run.report)

    def search_query(self, term: str) -> Q:
        try:
            return Q(day=dt.date.fromisoformat(term))
        except ValueError:
            return Q(pk__in=[])


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Discrepancy]
    ) -> list[tuple[str, str]]:
        return [("open", "open"), ("resolved", "resolved")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Discrepancy]
    ) -> QuerySet[Discrepancy]:
        if self.value() in ("open", "resolved"):
            return queryset.filter(resolved_at__isnull=self.value() == "open")
        return queryset


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "day",
        "gateway",
        "kind",
        "subject",
        "amount_display",
        "detected_at",
        "resolved_at",
    )
    list_filter = (OpenFilter, "kind", "gateway", "currency", "day")
    list_select_related = ("run",)
    ordering = ("-day", "-id")
    actions = ["resolve"]
    search_fields = ("subject",)
    search_help_text = (
        "A payment, refund or payer UUID, or the gateway's reference (exact)."
    )
    payment_link = link_column(
        "admin:payments_payment_change", "payment_id", description="payment"
    )
    refund_link = link_column(
        "admin:payments_refund_change", "refund_id", description="refund"
    )
    audit_trail = audit_trail_column("discrepancy", description="resolution")
    fields = (
        "kind",
        "gateway",
        "day",
        "subject",
        "amount_display",
        "reason",
        "payment_link",
        "refund_link",
        "gateway_reference",
        "theirs_display",
        "ours_display",
        "detected_at",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "audit_trail",
    )

    @admin.action(description="Resolve with a note", permissions=["change"])
    def resolve(
        self, request: HttpRequest, queryset: QuerySet[Discrepancy]
    ) -> TemplateResponse | None:
        def apply(
            row: Discrepancy, data: dict[str, Any], now: dt.datetime, actor: str
        ) -> str:
            resolve_discrepancy(row.id, note=data["note"], actor=actor, now=now)
            return f"{row}: resolved."

        return confirm_then_apply(
            self,
            request,
            queryset,
            title="Resolve discrepancies",
            clock=billing_now,
            apply=apply,
            form_class=ResolveForm,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Changed only by the resolve action, and only by accounting: an object's
        own page is read-only for everyone."""
        if obj is not None:
            return False
        return request.user.has_perm("payments.change_discrepancy")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields)

    @admin.display(description="amount in question")
    def amount_display(self, discrepancy: Discrepancy) -> str:
        return money(discrepancy.amount)

    @admin.display(description="the gateway's record")
    def theirs_display(self, discrepancy: Discrepancy) -> SafeString:
        return pretty_json(discrepancy.theirs)

    @admin.display(description="ours")
    def ours_display(self, discrepancy: Discrepancy) -> SafeString:
        return pretty_json(discrepancy.ours)

    def search_query(self, term: str) -> Q:
        found = as_uuid(term)
        if found is None:
            return Q(gateway_reference=term) | Q(subject=term)
        return Q(payment_id=found) | Q(refund_id=found) | Q(payment__payer_id=found)


def _amounts(run: ReconciliationRun, what: str) -> str:
    return ", ".join(money(amount) for amount in gateway_money(run, what)) or "-"
