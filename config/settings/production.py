"""Production: everything from the environment, served over HTTPS only.

Whatever is missing, empty, a development default or otherwise unsafe is refused
before anything starts (`config/production_checks.py`).
"""

from config import env as environment
from config.production_checks import refuse_unsafe_environment
from config.settings.base import *  # noqa: F403

refuse_unsafe_environment()

IS_PRODUCTION = True
DEBUG = False
BILLING_TEST_CLOCK_ENABLED = False
# The in-memory test double must never answer for a real payer's money.
PAYMENT_GATEWAYS = {
    code: path
    for code, path in PAYMENT_GATEWAYS.items()  # noqa: F405
    if code != "fake"
}
# The checkout page loads the gateways' own scripts (the sandbox's stand-ins are
# only the development default); a deployment may name a mirror of them.
CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL = (
    environment.given("CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL")
    or "https://widget.cloudpayments.ru/bundles/checkout"
)
STRIPE_JS_URL = environment.given("STRIPE_JS_URL") or "https://js.stripe.com/v3/"
# Raw sandbox cryptograms are a development convenience only.
CHECKOUT_SANDBOX_PAYLOADS = False

# TLS ends at the load balancer, which says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# The load balancer's probes and the metrics scraper call over plain HTTP inside
# the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Sent so that the domain may be submitted to the browsers' preload list; sending it
# alone enrols nothing.
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
