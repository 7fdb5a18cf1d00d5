"""Subscriptions: dunning, the renewal run's pace per gateway, trial card checks."""

from __future__ import annotations

from config import env as environment

# Retries of a failed renewal, in days after the first failure.
DUNNING_RETRY_DAYS = environment.DUNNING_RETRY_DAYS
# What a subscription becomes when dunning gives up: CANCELED or EXPIRED.
DUNNING_FINAL_STATUS = environment.DUNNING_FINAL_STATUS
# The gateways whose subscriptions the renewal run bills.
RENEWAL_GATEWAYS = ["cloudpayments", "stripe"]
RENEWAL_BATCH_SIZE = environment.RENEWAL_BATCH_SIZE
# Charges in flight per gateway, and for Stripe charges started per second.
RENEWAL_CONCURRENCY = {
    "cloudpayments": environment.RENEWALS_CLOUDPAYMENTS_IN_FLIGHT,
    "stripe": environment.RENEWALS_STRIPE_IN_FLIGHT,
    "fake": 4,
}
RENEWAL_REQUESTS_PER_SECOND: dict[str, float] = {
    "stripe": environment.RENEWALS_STRIPE_PER_SECOND,
}
# A run stops claiming after this long and hands over to a fresh task, so that no
# task runs for hours and a killed worker loses at most this much of a run.
RENEWAL_TIME_BUDGET_SECONDS = environment.RENEWAL_TIME_BUDGET_SECONDS
# The amount CloudPayments authorizes (and voids) to verify a card for a trial, in
# minor units of the plan's currency.
CARD_VERIFICATION_AMOUNT_MINOR = 100
