"""The only module that reads the process environment.

Every variable the service understands is declared here with its default, and README
documents the same list. The defaults need no server: SQLite under `var/`, a
file-system Celery transport, and both gateways pointed at the local sandbox.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import environ
from django.core.exceptions import ImproperlyConfigured

from kit.currencies import ISO_4217_EXPONENTS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# The secrets and gateway credentials the defaults below fall back to: public
# values (the sandbox's own credentials among them), so production refuses each one
# (`config/production_checks.py`).
DEVELOPMENT_DEFAULTS: Final[Mapping[str, str]] = {
    "DJANGO_SECRET_KEY": "insecure-development-key-change-me-in-production",
    "TOKEN_ENCRYPTION_KEYS": "zU9zRHbXg9bBS3RcJcY6Vhx6wc7JzRQB8nH3mMqPa1E=",
    "JWT_SIGNING_KEY": "insecure-development-jwt-key-change-me-in-production",
    "CLOUDPAYMENTS_PUBLIC_ID": "pk_sandbox",
    "CLOUDPAYMENTS_API_SECRET": "sandbox-api-secret",
    "STRIPE_SECRET_KEY": "sk_test_sandbox",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_sandbox",
    "STRIPE_WEBHOOK_SECRET": "whsec_sandbox",
    "CHECKOUT_REDIRECT_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DEFAULT_FROM_EMAIL": "billing@localhost",
    "SHOP_SHIPPING_API_KEY": "ship_test_sandbox",
}
LOCAL_SETTINGS_MODULE: Final = "config.settings.local"


def given(name: str) -> str | None:
    """The variable as the environment gives it, before any default; None if unset."""
    value = env.ENVIRON.get(name)
    return None if value is None else str(value)


def minor_amounts_by_currency(name: str, value: str) -> dict[str, int]:
    """`RUB=1000000,USD=50000` as {currency: amount in minor units}.

    :raises ImproperlyConfigured: for a pair that is not an ISO 4217 code, `=` and
        a whole number of zero or more, or a currency named twice.
    """
    amounts: dict[str, int] = {}
    for pair in filter(None, (part.strip() for part in value.split(","))):
        code, _, amount = (text.strip() for text in pair.partition("="))
        if code not in ISO_4217_EXPONENTS or not amount.isdigit() or code in amounts:
            raise ImproperlyConfigured(
                f"{name}: {pair!r} is not CURRENCY=amount in minor units (an ISO 4217 "
                "code, once, and a whole number), e.g. RUB=1000000,USD=50000."
            )
        amounts[code] = int(amount)
    return amounts


def project_release() -> str:
    """`<name>@<version>` from pyproject.toml, which every image of the service has."""
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    return f"{project['name']}@{project['version']}"


def networks(
    name: str, values: list[str]
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`127.0.0.0/8,::1/128` as networks; a bare address is a network of one.

    :raises ImproperlyConfigured: for an entry that is no address or network.
    """
    parsed = []
    for value in filter(None, (entry.strip() for entry in values)):
        try:
            parsed.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an address or a network in CIDR "
                "notation, e.g. 10.0.0.0/8 or ::1/128."
            ) from None
    return tuple(parsed)


def choose_settings_module() -> None:
    """Fall back to the local settings only in a development checkout.

    The entry points (`manage.py`, `config/wsgi.py`, `config/asgi.py`, the Celery
    app) call this first. A checkout is this repository with its `.git` beside
    `manage.py` (a folder in a clone, a file in a linked worktree); the Docker image
    and any other copy of the code leave it out. Anywhere else a missing
    DJANGO_SETTINGS_MODULE is refused rather than guessed, so that a server whose
    variable was forgotten never starts on development settings.

    :raises ImproperlyConfigured: when the variable is missing or empty outside a
        checkout.
    """
    if env.str("DJANGO_SETTINGS_MODULE", default=""):
        return
    if not (BASE_DIR / ".git").exists():
        raise ImproperlyConfigured(
            "DJANGO_SETTINGS_MODULE is not set: outside a development checkout name "
            "the settings, e.g. DJANGO_SETTINGS_MODULE=config.settings.production."
        )
    os.environ["DJANGO_SETTINGS_MODULE"] = LOCAL_SETTINGS_MODULE


# Local state of the embedded defaults: SQLite file, Celery's file queue, beat's state.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
# Where uploaded and generated files go (snack pictures, order invoices); empty:
# `$VAR_DIR/media`. Every web and worker process of a deployment must share it.
MEDIA_ROOT = env.str("MEDIA_ROOT", default="")

SANDBOX_URL = env.str("SANDBOX_URL", default="http://127.0.0.1:8100")

DJANGO_SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY", default=DEVELOPMENT_DEFAULTS["DJANGO_SECRET_KEY"]
)
DJANGO_DEBUG = env.bool("DJANGO_DEBUG", default=False)
DJANGO_ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"]
)
# An empty value also means the embedded default, so `DATABASE_URL= make …` works.
DATABASE_URL = (
    env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
)
# The file-system transport lets worker and beat share a queue with no broker running.
# It ignores the host; naming one spares every process kombu's "no hostname" warning.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
REDIS_URL = env.str("REDIS_URL", default="")
# The snack shop counts reactions in Redis: its own, or REDIS_URL's, or a local one
# (where `make run` starts an in-memory stand-in when none answers).
SNACKS_REDIS_URL_GIVEN = env.str("SNACKS_REDIS_URL", default="")
SNACKS_REDIS_URL = SNACKS_REDIS_URL_GIVEN or REDIS_URL or "redis://127.0.0.1:6379/0"
# How often beat writes the reactions toggled in Redis to the database; toggles of
# the last interval are what a Redis that loses its data can lose (docs/shop.md).
REACTIONS_PERSIST_SECONDS = env.float("REACTIONS_PERSIST_SECONDS", default=2.0)
# The shop calls billing over gRPC with a service token (scopes
# billing.payments.write and billing.events.read: `issue_service_token`).
SHOP_BILLING_GRPC_TARGET = env.str(
    "SHOP_BILLING_GRPC_TARGET", default="127.0.0.1:50051"
)
SHOP_BILLING_TOKEN = env.str("SHOP_BILLING_TOKEN", default="")
SHOP_BILLING_TIMEOUT_SECONDS = env.float("SHOP_BILLING_TIMEOUT_SECONDS", default=10.0)
# Where billing's checkout page sends a member back to after paying an order's
# hold; `{order_id}` is filled in.
SHOP_CHECKOUT_RETURN_URL = env.str(
    "SHOP_CHECKOUT_RETURN_URL", default="http://127.0.0.1:8000/shop/orders/{order_id}/"
)
# The shipping partner the shop registers its shipped orders with (its API base and
# key; the sandbox's by default), how long one call may take, and how a registration
# is retried: at most MAX_ATTEMPTS calls, with exponential back-off and full jitter
# between them (BASE, doubled each time, never above CAP).
SHOP_SHIPPING_URL = env.str("SHOP_SHIPPING_URL", default=f"{SANDBOX_URL}/shipping/v1")
SHOP_SHIPPING_API_KEY = env.str(
    "SHOP_SHIPPING_API_KEY", default=DEVELOPMENT_DEFAULTS["SHOP_SHIPPING_API_KEY"]
)
SHOP_SHIPPING_TIMEOUT_SECONDS = env.float("SHOP_SHIPPING_TIMEOUT_SECONDS", default=10.0)
SHOP_SHIPPING_MAX_ATTEMPTS = env.int("SHOP_SHIPPING_MAX_ATTEMPTS", default=6)
SHOP_SHIPPING_RETRY_BASE_SECONDS = env.float(
    "SHOP_SHIPPING_RETRY_BASE_SECONDS", default=5.0
)
SHOP_SHIPPING_RETRY_CAP_SECONDS = env.float(
    "SHOP_SHIPPING_RETRY_CAP_SECONDS", default=300.0
)

CLOUDPAYMENTS_PUBLIC_ID = env.str(
    "CLOUDPAYMENTS_PUBLIC_ID", default=DEVELOPMENT_DEFAULTS["CLOUDPAYMENTS_PUBLIC_ID"]
)
CLOUDPAYMENTS_API_SECRET = env.str(
    "CLOUDPAYMENTS_API_SECRET", default=DEVELOPMENT_DEFAULTS["CLOUDPAYMENTS_API_SECRET"]
)
CLOUDPAYMENTS_API_URL = env.str("CLOUDPAYMENTS_API_URL", default=f"{SANDBOX_URL}/")
STRIPE_SECRET_KEY = env.str(
    "STRIPE_SECRET_KEY", default=DEVELOPMENT_DEFAULTS["STRIPE_SECRET_KEY"]
)
STRIPE_PUBLISHABLE_KEY = env.str(
    "STRIPE_PUBLISHABLE_KEY", default=DEVELOPMENT_DEFAULTS["STRIPE_PUBLISHABLE_KEY"]
)
STRIPE_WEBHOOK_SECRET = env.str(
    "STRIPE_WEBHOOK_SECRET", default=DEVELOPMENT_DEFAULTS["STRIPE_WEBHOOK_SECRET"]
)
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default=SANDBOX_URL)
# The gateways' browser scripts the checkout page loads; the defaults are the
# sandbox's drop-ins with the same JavaScript API. Production: CloudPayments'
# https://widget.cloudpayments.ru/bundles/checkout and Stripe's https://js.stripe.com/v3/.
CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL = env.str(
    "CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL",
    default=f"{SANDBOX_URL}/__sandbox/cloudpayments/checkout.js",
)
STRIPE_JS_URL = env.str(
    "STRIPE_JS_URL", default=f"{SANDBOX_URL}/__sandbox/stripe/v3.js"
)
GATEWAY_TIMEOUT_SECONDS = env.float("GATEWAY_TIMEOUT_SECONDS", default=10.0)
# Where the sandbox posts its notifications and webhooks: this service's own address.
SERVICE_URL = env.str("SERVICE_URL", default="http://127.0.0.1:8000")
# The address payers reach this service's web pages at, for the links to hosted
# checkout pages that an answer without an HTTP request gives (gRPC).
CHECKOUT_BASE_URL = env.str("CHECKOUT_BASE_URL", default=SERVICE_URL)
# The gateway of a checkout page opened without one (CreateCheckoutSession).
DEFAULT_PAYMENT_GATEWAY = env.str("DEFAULT_PAYMENT_GATEWAY", default="cloudpayments")

# Fernet keys, newest first; older keys only decrypt, so keys rotate without downtime.
TOKEN_ENCRYPTION_KEYS = env.list(
    "TOKEN_ENCRYPTION_KEYS", default=[DEVELOPMENT_DEFAULTS["TOKEN_ENCRYPTION_KEYS"]]
)
# Tokens (HS256): one key signs; retired keys, newest first, still verify until the
# tokens they signed have expired, so the signing key rotates without sign-outs.
JWT_SIGNING_KEY = env.str(
    "JWT_SIGNING_KEY", default=DEVELOPMENT_DEFAULTS["JWT_SIGNING_KEY"]
)
JWT_VERIFYING_KEYS = env.list("JWT_VERIFYING_KEYS", default=[])
JWT_ACCESS_TOKEN_MINUTES = env.int("JWT_ACCESS_TOKEN_MINUTES", default=15)
JWT_REFRESH_TOKEN_MINUTES = env.int("JWT_REFRESH_TOKEN_MINUTES", default=24 * 60)

SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development")
# What Sentry files errors under, so that a deploy's new errors are told from old
# ones: set it to the deploy's commit or tag; unset, the version in pyproject.toml.
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or project_release()
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="text")

# Dunning: retries of a failed renewal, in days after the first failure, and how a
# subscription ends when none succeeds (CANCELED or EXPIRED).
DUNNING_RETRY_DAYS = [
    int(day) for day in env.list("DUNNING_RETRY_DAYS", default=[1, 3, 5, 7])
]
DUNNING_FINAL_STATUS = env.str("DUNNING_FINAL_STATUS", default="CANCELED")
# The renewal run: subscriptions claimed per batch, and what each gateway is sent at
# once. The defaults stay under the test terminals' limits (CloudPayments 5 requests
# in flight, Stripe 25 requests a second), leaving room for payers at checkout; a
# live CloudPayments terminal allows 30 in flight, live Stripe 100 a second.
RENEWAL_BATCH_SIZE = env.int("RENEWAL_BATCH_SIZE", default=100)
# How often beat starts the renewal sweep; a minute in production.
RENEWAL_SWEEP_SECONDS = env.float("RENEWAL_SWEEP_SECONDS", default=60.0)
# How long a renewal run claims before it hands over to a fresh task.
RENEWAL_TIME_BUDGET_SECONDS = env.float("RENEWAL_TIME_BUDGET_SECONDS", default=50.0)
RENEWALS_CLOUDPAYMENTS_IN_FLIGHT = env.int(
    "RENEWALS_CLOUDPAYMENTS_IN_FLIGHT", default=4
)
RENEWALS_STRIPE_IN_FLIGHT = env.int("RENEWALS_STRIPE_IN_FLIGHT", default=8)
RENEWALS_STRIPE_PER_SECOND = env.float("RENEWALS_STRIPE_PER_SECOND", default=20.0)

# Refunds that take a second accounting approver (docs/api.md#the-refund-desk): per
# currency, in minor units, a refund that brings its payment's refunds to this
# amount or more becomes a refund request. A currency not listed always does.
REFUND_APPROVAL_THRESHOLDS = minor_amounts_by_currency(
    "REFUND_APPROVAL_THRESHOLDS",
    env.str("REFUND_APPROVAL_THRESHOLDS", default="RUB=1000000,USD=50000,EUR=50000"),
)

# Hosts a checkout page may send the payer back to (success and failure URLs), as
# Django's ALLOWED_HOSTS patterns: `shop.example`, or `.shop.example` for subdomains.
CHECKOUT_REDIRECT_ALLOWED_HOSTS = env.list(
    "CHECKOUT_REDIRECT_ALLOWED_HOSTS",
    default=DEVELOPMENT_DEFAULTS["CHECKOUT_REDIRECT_ALLOWED_HOSTS"].split(","),
)

# Rate limits of the HTTP API (DRF rates: `<number>/<second|minute|hour|day>`):
# clients not signed in, per address; signed-in staff and scripts, per user; and
# sign-in attempts at the admin and the browsable API, per address.
API_THROTTLE_ANON_RATE = env.str("API_THROTTLE_ANON_RATE", default="60/minute")
API_THROTTLE_USER_RATE = env.str("API_THROTTLE_USER_RATE", default="1200/minute")
API_THROTTLE_LOGIN_RATE = env.str("API_THROTTLE_LOGIN_RATE", default="10/minute")
# Reverse proxies in front of the service whose X-Forwarded-For is trusted for the
# client's address (0: the connection's own address).
API_NUM_PROXIES = env.int("API_NUM_PROXIES", default=0)
# Failed sign-ins for one account from one address (each within the cool-off of the
# one before, with no success between) before that pair is refused, and for how long.
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_COOLOFF_SECONDS = env.int("LOGIN_LOCKOUT_COOLOFF_SECONDS", default=900)

# The gRPC server (`python manage.py grpc_server`): worker threads (each serves one
# call at a time, a stream included), concurrent calls per client connection, and
# the largest message either way.
GRPC_PORT = env.int("GRPC_PORT", default=50051)
GRPC_MAX_WORKERS = env.int("GRPC_MAX_WORKERS", default=16)
GRPC_MAX_CONCURRENT_STREAMS = env.int("GRPC_MAX_CONCURRENT_STREAMS", default=100)
GRPC_MAX_MESSAGE_BYTES = env.int("GRPC_MAX_MESSAGE_BYTES", default=4 * 1024 * 1024)
# The frontend's page that Stripe's 3-D Secure sends the payer back to after a
# StartSubscription over gRPC; the page calls Complete3ds (CloudPayments' TermUrl is
# chosen by the page that posts the ACS form, so it needs none).
GRPC_3DS_RETURN_URL = env.str(
    "GRPC_3DS_RETURN_URL", default="http://localhost:3000/billing/3ds-return"
)
# The event stream (`EventService.Subscribe`): events read from the outbox per query,
# how often a stream polls on SQLite (PostgreSQL wakes it by NOTIFY), and how often
# it re-reads anyway when no wake-up comes.
GRPC_EVENTS_BATCH_SIZE = env.int("GRPC_EVENTS_BATCH_SIZE", default=500)
GRPC_EVENTS_POLL_SECONDS = env.float("GRPC_EVENTS_POLL_SECONDS", default=0.2)
GRPC_EVENTS_REPOLL_SECONDS = env.float("GRPC_EVENTS_REPOLL_SECONDS", default=5.0)

# E-mail to payers (receipts, dunning reminders, expired cards; docs/notifications.md).
# Unset EMAIL_HOST: the console backend, which prints each mail (`make run` shows
# them); set, SMTP through it. Production requires it.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT_SECONDS = env.float("EMAIL_TIMEOUT_SECONDS", default=10.0)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default=DEVELOPMENT_DEFAULTS["DEFAULT_FROM_EMAIL"]
)
# The auth service's AuthService (where billing asks for a payer's e-mail): its
# address, how long one question may take, and a service token with the
# `auth.users.read` scope (`issue_service_token`). Unset, `make run` issues one
# itself; production requires it.
AUTH_GRPC_TARGET = env.str("AUTH_GRPC_TARGET", default="127.0.0.1:50051")
AUTH_GRPC_TOKEN = env.str("AUTH_GRPC_TOKEN", default="")
AUTH_GRPC_TIMEOUT_SECONDS = env.float("AUTH_GRPC_TIMEOUT_SECONDS", default=2.0)

# Prometheus metrics (docs/operations.md#metrics). The web's /metrics answers direct
# connections from these networks, and any request with the bearer token (empty: no
# token is accepted); anyone else gets a 404.
METRICS_ALLOWED_NETWORKS = networks(
    "METRICS_ALLOWED_NETWORKS",
    env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"]),
)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")


def prometheus_multiproc_dir() -> str:
    """The folder where the web's worker processes keep their metrics, or "" when
    one process serves (prometheus_client's multiprocess mode reads the same
    variable). Read when asked, not at import: `config/gunicorn.py` gives it to its
    workers after its own process imported this module."""
    return env.str("PROMETHEUS_MULTIPROC_DIR", default="")
