"""The CloudPayments adapter (`settings.PAYMENT_GATEWAYS["cloudpayments"]`).

Modules by concept: `_client` is the official SDK with a timeout, `X-Request-ID` and
the token-payment fields it lacks; `_mapping` turns its answers and errors into the
contract's; `_webhooks` verifies and parses notifications; `_gateway` is the adapter.
"""

from payments.gateways.cloudpayments._gateway import CloudPaymentsGateway

__all__ = ["CloudPaymentsGateway"]
