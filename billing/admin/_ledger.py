"""Ledger entries, append-only, and the trial balance over them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from billing import selectors
from billing.clock import billing_now
from billing.models import LedgerAccount, LedgerEntry
from billing.money import Money
from billing.selectors import DailyGatewayTotal
from kit.admin import (
    CsvExportAdmin,
    DateRangeForm,
    as_uuid,
    field_columns,
    link_column,
)

# The daily totals page shows this many days back from today until asked otherwise.
DAILY_TOTALS_DAYS: Final = dt.timedelta(days=30)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(CsvExportAdmin):
    csv_columns = field_columns(
        "id",
        "at",
        "posting",
        "account",
        "subaccount",
        "currency",
        "debit_minor",
        "credit_minor",
        "payer_id",
        "memo",
    )
    csv_date_field = "at"
    payer_link = link_column(
        "admin:billing_payer_change",
        "payer_id",
        description="payer",
        ordering="payer_id",
    )
    list_display = (
        "at",
        "posting",
        "account",
        "subaccount",
        "debit_display",
        "credit_display",
        "payer_link",
        "memo",
    )
    list_filter = ("account", "currency", "subaccount")
    search_fields = ("posting", "payer")
    search_help_text = 'A posting key ("invoice:12:issued") or a payer UUID (exact).'
    ordering = ("-at", "-id")
    fields = (
        "posting",
        "account",
        "subaccount",
        "currency",
        "debit_display",
        "credit_display",
        "payer_link",
        "memo",
        "at",
    )

    def get_urls(self) -> list[URLPattern]:
        trial_balance = path(
            "trial-balance/",
            self.admin_site.admin_view(self.trial_balance_view),
            name="billing_ledgerentry_trial_balance",
        )
        daily_totals = path(
            "daily-totals/",
            self.admin_site.admin_view(self.daily_totals_view),
            name="billing_ledgerentry_daily_totals",
        )
        return [trial_balance, daily_totals, *super().get_urls()]

    def trial_balance_view(self, request: HttpRequest) -> TemplateResponse:
        """Debits, credits and balance per account (and gateway) and currency."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        balances = selectors.ledger_account_balances()
        currencies = sorted({balance.currency for balance in balances})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Trial balance",
            "currencies": [
                _currency_section(currency, balances) for currency in currencies
            ],
        }
        return TemplateResponse(
            request, "admin/billing/ledgerentry/trial_balance.html", context
        )

    def daily_totals_view(self, request: HttpRequest) -> TemplateResponse:
        """Cash captured, refunded and net per day, gateway and currency, for a
        range of days (the last 30 until one is chosen)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = billing_now().date()
        form = DateRangeForm(
            request.GET or {"starts": today - DAILY_TOTALS_DAYS, "ends": today}
        )
        totals = (
            selectors.daily_gateway_totals(
                starts=form.cleaned_data["starts"], ends=form.cleaned_data["ends"]
            )
            if form.is_valid()
            else []
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Daily totals per gateway",
            "form": form,
            "rows": [_daily_row(total) for total in totals],
        }
        return TemplateResponse(
            request, "admin/billing/ledgerentry/daily_totals.html", context
        )

    def search_query(self, term: str) -> Q:
        payer_id = as_uuid(term)
        match = Q(posting=term)
        return match | Q(payer_id=payer_id) if payer_id else match

    @admin.display(description="debit", ordering="debit_minor")
    def debit_display(self, entry: LedgerEntry) -> str:
        return entry.amount.format() if entry.debit_minor else ""

    @admin.display(description="credit", ordering="credit_minor")
    def credit_display(self, entry: LedgerEntry) -> str:
        return entry.amount.format() if entry.credit_minor else ""


@dataclass(frozen=True, slots=True)
class _Row:
    account: str
    subaccount: str
    debits: str
    credits: str
    balance: str
    # A balance on the other side than the account's usual one (a credit balance
    # of receivables, say) is worth a look.
    is_unusual: bool


@dataclass(frozen=True, slots=True)
class _CurrencySection:
    currency: str
    rows: list[_Row]
    debits: str
    credits: str
    difference: str
    is_balanced: bool


def _currency_section(
    currency: str, balances: list[selectors.AccountBalance]
) -> _CurrencySection:
    in_currency = [balance for balance in balances if balance.currency == currency]
    debits = sum(balance.debit_minor for balance in in_currency)
    credits = sum(balance.credit_minor for balance in in_currency)
    return _CurrencySection(
        currency=currency,
        rows=[
            _Row(
                account=str(LedgerAccount(balance.account).label),
                subaccount=balance.subaccount,
                debits=Money(balance.debit_minor, currency).format(),
                credits=Money(balance.credit_minor, currency).format(),
                balance=_side(balance.net_minor, currency),
                is_unusual=not balance.is_on_normal_side,
            )
            for balance in in_currency
        ],
        debits=Money(debits, currency).format(),
        credits=Money(credits, currency).format(),
        difference=_side(debits - credits, currency),
        is_balanced=debits == credits,
    )


def _side(net_minor: int, currency: str) -> str:
    """A balance as accountants write it: `599.00 RUB Dr`, `1,198.00 RUB Cr`."""
    amount = Money(abs(net_minor), currency).format()
    if net_minor > 0:
        return f"{amount} Dr"
    if net_minor < 0:
        return f"{amount} Cr"
    return amount


def _daily_row(total: DailyGatewayTotal) -> dict[str, str]:
    def money_of(minor: int) -> str:
        return Money(minor, total.currency).format()

    return {
        "day": total.day.isoformat(),
        "gateway": total.gateway,
        "currency": total.currency,
        "captured": money_of(total.captured_minor),
        "refunded": money_of(total.refunded_minor),
        "net": money_of(total.net_minor),
        "fees": "—" if total.fees_minor is None else money_of(total.fees_minor),
    }
