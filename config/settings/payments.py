"""Gateways: credentials, addresses and timeouts, defaulting to the local sandbox."""

from __future__ import annotations

from config import env as environment

CLOUDPAYMENTS_PUBLIC_ID = environment.CLOUDPAYMENTS_PUBLIC_ID
CLOUDPAYMENTS_API_SECRET = environment.CLOUDPAYMENTS_API_SECRET
CLOUDPAYMENTS_API_URL = environment.CLOUDPAYMENTS_API_URL
# CloudPayments signs each notification twice; only `Content-HMAC` (over the raw
# body) is unambiguous. Only local settings also take `X-Content-HMAC` alone.
CLOUDPAYMENTS_ACCEPT_X_CONTENT_HMAC = False
STRIPE_SECRET_KEY = environment.STRIPE_SECRET_KEY
STRIPE_PUBLISHABLE_KEY = environment.STRIPE_PUBLISHABLE_KEY
STRIPE_WEBHOOK_SECRET = environment.STRIPE_WEBHOOK_SECRET
STRIPE_API_BASE = environment.STRIPE_API_BASE
CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL = environment.CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL
STRIPE_JS_URL = environment.STRIPE_JS_URL
# Whether the checkout's pay endpoint takes the sandbox's `sbx1:` cryptograms: only
# where the sandbox runs (local and test settings turn it on), never in production,
# where a real gateway would refuse them anyway and they carry a card number.
CHECKOUT_SANDBOX_PAYLOADS = False
GATEWAY_TIMEOUT_SECONDS = environment.GATEWAY_TIMEOUT_SECONDS
SANDBOX_URL = environment.SANDBOX_URL
SERVICE_URL = environment.SERVICE_URL
CHECKOUT_BASE_URL = environment.CHECKOUT_BASE_URL
DEFAULT_PAYMENT_GATEWAY = environment.DEFAULT_PAYMENT_GATEWAY
TOKEN_ENCRYPTION_KEYS = environment.TOKEN_ENCRYPTION_KEYS
CHECKOUT_REDIRECT_ALLOWED_HOSTS = environment.CHECKOUT_REDIRECT_ALLOWED_HOSTS
# {currency: minor units}: refunds that bring a payment's refunds to this or more
# take a second accounting approver; a currency not listed always does.
REFUND_APPROVAL_THRESHOLDS = environment.REFUND_APPROVAL_THRESHOLDS

PAYMENT_GATEWAYS = {
    "cloudpayments": "payments.gateways.cloudpayments.CloudPaymentsGateway",
    "stripe": "payments.gateways.stripe.StripeGateway",
    "fake": "payments.gateways.fake.FakeGateway",
}
