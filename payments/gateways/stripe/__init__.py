"""The Stripe adapter (`settings.PAYMENT_GATEWAYS["stripe"]`).

Modules by concept: `_amounts` converts Money to Stripe's units; `_errors` maps the
SDK's exceptions; `_mapping` reads PaymentIntents; `_webhooks` verifies and parses
Events; `_logging` keeps tokens out of the SDK's log lines; `_gateway` is the adapter
over `stripe.StripeClient`.
"""

from payments.gateways.stripe._gateway import StripeGateway

__all__ = ["StripeGateway"]
