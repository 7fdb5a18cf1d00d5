"""The subscriptions' "Renewals forecast" page: `renewals_forecast` for a day the
staff member picks, changing nothing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from billing.clock import billing_now
from kit.admin.readonly import ReadOnlyAdmin
from subscriptions.services import ForecastAction, forecast_renewals


class ForecastForm(forms.Form):
    date = forms.DateField(
        help_text="The day (UTC) whose renewals to show; today when empty.",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class RenewalForecastAdmin(ReadOnlyAdmin):
    """A read-only admin with the renewals forecast page beside its list."""

    def get_urls(self) -> list[URLPattern]:
        forecast = path(
            "forecast/",
            self.admin_site.admin_view(self.forecast_view),
            name="subscriptions_subscription_forecast",
        )
        return [forecast, *super().get_urls()]

    def forecast_view(self, request: HttpRequest) -> TemplateResponse:
        """What the renewal runs of a day will do: lines, totals, counts."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = billing_now()
        form = ForecastForm(request.GET or None)
        day = now.date()
        if form.is_valid() and form.cleaned_data["date"]:
            day = form.cleaned_data["date"]
        forecast = forecast_renewals(day=day, now=now)
        counts = forecast.counts()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Renewals forecast for {day} (UTC)",
            "form": form,
            "forecast": forecast,
            "totals": [
                (gateway, currency, total.format())
                for (gateway, currency), total in sorted(forecast.totals().items())
            ],
            "counts": [(a.value, counts[a]) for a in ForecastAction if counts[a]],
            "expiring": sum(line.card_expires_first for line in forecast.lines),
            "dunning": sum(line.in_dunning for line in forecast.lines),
        }
        return TemplateResponse(
            request, "admin/subscriptions/subscription/forecast.html", context
        )
