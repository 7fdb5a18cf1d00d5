"""Plans: offered, renamed, repriced (through `change_plan_price`) and migrated.

A price is never edited: a new price is a new row, written by the service with who
set it and why, and the history is shown read-only under the plan. Existing
subscribers keep their price until accounting migrates them explicitly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from billing.clock import billing_now
from billing.errors import DomainError
from billing.money import Money, currency_exponent
from kit.actors import staff_actor
from kit.admin import (
    ReadOnlyInline,
    add_domain_error,
    confirm_then_apply,
    service_page,
)
from payments.models import Gateway
from payments.selectors import gateway_is_configured
from subscriptions import selectors
from subscriptions.models import Plan, PlanPrice
from subscriptions.periods import Interval
from subscriptions.services import (
    DuplicatePlan,
    change_plan_price,
    create_plan,
    migrate_subscribers_to_current_price,
    set_plan_active,
)

# Gateways a plan may charge through; the fake one exists only for tests.
_TEST_ONLY_GATEWAYS = frozenset({Gateway.FAKE})
# What the change form edits; the rest of a plan is fixed once it has subscribers.
_EDITABLE_FIELDS = ("name", "description", "is_active")


def _plan_price_text(price: PlanPrice | None, plan: Plan) -> str:
    if price is None:
        return "—"
    count = plan.interval_count
    interval = plan.interval if count == 1 else f"{count} {plan.interval}s"
    return f"{price.amount.format()} per {interval}"


class PriceField(forms.CharField):
    """An amount typed by a person ("999.00", "1 234,50"), read by `Money.parse`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", "In major units, e.g. 999.00.")
        super().__init__(**kwargs)


class PriceForm(forms.Form):
    price = PriceField()
    currency = forms.CharField(
        max_length=3, help_text="ISO 4217 code, e.g. RUB.", initial="RUB"
    )

    def clean_currency(self) -> str:
        currency = str(self.cleaned_data["currency"]).strip()
        try:
            currency_exponent(currency)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "price" in data and "currency" in data:
            try:
                money = Money.parse(data["price"], data["currency"])
            except DomainError as error:
                self.add_error("price", error.message)
                return data
            if not money.is_positive:
                self.add_error("price", "A price is more than zero.")
            data["money"] = money
        return data


class PlanCreateForm(PriceForm):
    code = forms.SlugField(max_length=50, help_text="How the shop names the plan.")
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea, required=False)
    interval = forms.ChoiceField(choices=[(i.value, i.value) for i in Interval])
    interval_count = forms.IntegerField(min_value=1, max_value=366, initial=1)
    trial_days = forms.IntegerField(min_value=0, max_value=730, initial=0)
    gateway = forms.ChoiceField(choices=[])

    field_order = ["code", "name", "description", "price", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        gateway = self.fields["gateway"]
        assert isinstance(gateway, forms.ChoiceField)
        gateway.choices = [
            (code, label)
            for code, label in Gateway.choices
            if code not in _TEST_ONLY_GATEWAYS and gateway_is_configured(code=code)
        ]


class PriceChangeForm(PriceForm):
    """A new price in the plan's currency: subscribers migrated to it keep paying
    (and keep their credit) in the currency they signed up in."""

    note = forms.CharField(
        max_length=200, help_text="Why the price changes; kept in the price history."
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].disabled = True
        self.fields["currency"].help_text = "A plan keeps its currency."
        self.fields["currency"].initial = currency


class PlanPriceInline(ReadOnlyInline):
    model = PlanPrice
    fk_name = "plan"
    fields = ("amount_display", "created_at", "created_by", "note")
    ordering = ("-created_at", "-id")
    verbose_name = "price"
    verbose_name_plural = "price history (newest first)"

    @admin.display(description="amount")
    def amount_display(self, price: PlanPrice) -> str:
        return price.amount.format()


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "current_price_display",
        "gateway",
        "trial_days",
        "is_active",
        "updated_at",
    )
    list_filter = ("is_active", "gateway", "interval")
    list_select_related = ("current_price",)
    search_fields = ("=code", "name")
    search_help_text = "A plan code (exact) or part of its name."
    ordering = ("code",)
    inlines = (PlanPriceInline,)
    actions = ("migrate_subscribers",)
    fields = (
        "code",
        "name",
        "description",
        "is_active",
        "current_price_display",
        "interval",
        "interval_count",
        "trial_days",
        "gateway",
        "created_at",
        "updated_at",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in self.fields if name not in _EDITABLE_FIELDS]

    def get_urls(self) -> list[URLPattern]:
        price = path(
            "<path:object_id>/price/",
            self.admin_site.admin_view(self.price_view),
            name="subscriptions_plan_price",
        )
        return [price, *super().get_urls()]

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Offer a new plan through `create_plan`, with its first price."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PlanCreateForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = create_plan(
                    code=data["code"],
                    name=data["name"],
                    description=data["description"],
                    price=data["money"],
                    interval=data["interval"],
                    interval_count=data["interval_count"],
                    trial_days=data["trial_days"],
                    gateway=data["gateway"],
                    now=billing_now(),
                    actor=staff_actor(request),
                )
            except DuplicatePlan:
                form.add_error("code", "A plan with this code exists already.")
            except DomainError as error:
                add_domain_error(form, error)
            else:
                self.log_addition(request, plan, [{"added": {}}])
                self.message_user(request, f"Plan {plan.code} is offered.")
                return self._back_to(plan)
        return service_page(
            self, request, title="Add plan", form=form, submit="Add plan"
        )

    def price_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Charge new subscribers another price, through `change_plan_price`."""
        plan = self.get_object(request, object_id)
        if plan is None:
            raise Http404("No such plan.")
        if not self.has_change_permission(request, plan):
            raise PermissionDenied
        current = plan.current_price
        form = PriceChangeForm(
            request.POST if request.method == "POST" else None,
            currency=current.currency if current else "RUB",
        )
        if form.is_valid():
            try:
                price = change_plan_price(
                    plan_id=plan.id,
                    price=form.cleaned_data["money"],
                    now=billing_now(),
                    actor=staff_actor(request),
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                text = _plan_price_text(price, plan)
                self.log_change(request, plan, f"Price changed to {text}.")
                self.message_user(
                    request,
                    f"New subscribers of {plan.code} pay {text}; existing ones keep "
                    "their price until migrated.",
                )
                return self._back_to(plan)
        return service_page(
            self,
            request,
            title="Change price",
            intro=f"Current price: {_plan_price_text(current, plan)}.",
            form=form,
            submit="Change price",
            obj=plan,
        )

    def save_model(
        self, request: HttpRequest, obj: Plan, form: forms.ModelForm[Plan], change: bool
    ) -> None:
        """Save what the change form edits: activity through `set_plan_active`."""
        now = billing_now()
        if "is_active" in form.changed_data:
            set_plan_active(
                plan_id=obj.id,
                active=obj.is_active,
                now=now,
                actor=staff_actor(request),
            )
        # Names are not money: no service guards them, so they are saved directly.
        details = [
            name for name in ("name", "description") if name in form.changed_data
        ]
        if details:
            obj.updated_at = now
            obj.save(update_fields=[*details, "updated_at"])

    @admin.action(
        description="Migrate subscribers to the current price",
        permissions=["change"],
    )
    def migrate_subscribers(
        self, request: HttpRequest, queryset: QuerySet[Plan]
    ) -> TemplateResponse | None:
        waiting = selectors.subscribers_off_current_price(
            plan_ids=list(queryset.values_list("id", flat=True))
        )

        def describe(plan: Plan) -> str:
            return (
                f"{plan.name} ({plan.code}): {waiting.get(plan.id, 0)} live "
                f"subscriber(s) on an older price; current price "
                f"{_plan_price_text(plan.current_price, plan)}"
            )

        def migrate(
            plan: Plan, data: dict[str, Any], now: dt.datetime, actor: str
        ) -> str:
            moved = migrate_subscribers_to_current_price(
                plan_id=plan.id, now=now, actor=actor
            )
            self.log_change(request, plan, f"Migrated {moved} subscriber(s).")
            return (
                f"{plan.code}: {moved} subscriber(s) moved to "
                f"{_plan_price_text(plan.current_price, plan)} from their next invoice."
            )

        return confirm_then_apply(
            self,
            request,
            queryset.select_related("current_price"),
            title="Migrate subscribers to the current price",
            clock=billing_now,
            apply=migrate,
            describe=describe,
        )

    @admin.display(description="current price")
    def current_price_display(self, plan: Plan) -> str:
        return _plan_price_text(plan.current_price, plan)

    def _back_to(self, plan: Plan) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:subscriptions_plan_change", args=[plan.pk])
        )
