"""What billing asks of the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the daily totals with `starts` and `ends` (dates, both included). A
# receiver answers the fees the gateways reported for those days, as a list of
# (day, gateway, currency, fee in minor units): the books do not hold fees, the
# gateways' own lists do (payments reads them when it reconciles a day).
gateway_fees_wanted = Signal()
