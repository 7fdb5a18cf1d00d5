"""What production refuses of the environment: the fail-closed rules of its settings.

A forgotten variable must stop the service, not start it on a development default:
those defaults are public (the sandbox's own credentials among them), so a service
running on them accepts webhooks that anyone can sign. Each rule names the variable
and never its value; every problem is reported at once, so that one deployment
attempt shows the whole list.
"""

from __future__ import annotations

import binascii
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Final

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config import env as environment

# Django's own bar for a secret key (`check --deploy`, security.W009).
SECRET_KEY_MIN_LENGTH: Final = 50
SECRET_KEY_MIN_DISTINCT: Final = 5
# An HS256 key no shorter than the hash (RFC 7518, section 3.2).
JWT_KEY_MIN_LENGTH: Final = 32
# Transports that keep messages in one process or on one machine's disk.
LOCAL_BROKER_SCHEMES: Final = frozenset({"memory", "filesystem"})
# The gateways production configures (`config.settings.production`).
LIVE_GATEWAYS: Final = frozenset({"cloudpayments", "stripe"})

Rule = Callable[[str, str], Iterator[str]]


def production_problems() -> list[str]:
    """Every problem of the environment for production, each naming its variable.

    Each variable must be set and non-empty, must not be its development default,
    and must pass its own rule.
    """
    problems: list[str] = []
    for name, rule in OPTIONAL_RULES.items():
        if value := environment.given(name):
            problems.extend(rule(name, value))
    for name, rule in RULES.items():
        value = environment.given(name)
        if value is None:
            problems.append(f"{name} is not set")
        elif not value.strip():
            problems.append(f"{name} is empty")
        elif value == environment.DEVELOPMENT_DEFAULTS.get(name):
            problems.append(f"{name} is the development default, which is public")
        else:
            problems.extend(rule(name, value))
    return problems


def refuse_unsafe_environment() -> None:
    """Stop production from starting on a missing, empty or unsafe setting.

    :raises ImproperlyConfigured: listing every problem of `production_problems`.
    """
    problems = production_problems()
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise ImproperlyConfigured(
            "Production settings refuse to start; set these environment variables "
            f"(README, Deploying safely):\n{listed}"
        )


def _secret(name: str, value: str) -> Iterator[str]:
    """A secret needs nothing beyond being set, non-empty and not the default."""
    yield from ()


def _strong_secret_key(name: str, value: str) -> Iterator[str]:
    if len(value) < SECRET_KEY_MIN_LENGTH or len(set(value)) < SECRET_KEY_MIN_DISTINCT:
        yield f"{name} must be at least {SECRET_KEY_MIN_LENGTH} random characters"


def _fernet_keys(name: str, value: str) -> Iterator[str]:
    """Every key of the comma-separated list is a Fernet key of production's own."""
    development = environment.DEVELOPMENT_DEFAULTS[name]
    for position, key in enumerate(value.split(","), start=1):
        if key.strip() == development:
            yield f"{name} key {position} is the development default, which is public"
            continue
        try:
            Fernet(key.strip())
        except (ValueError, binascii.Error):
            yield (
                f"{name} key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            )


def _jwt_signing_key(name: str, value: str) -> Iterator[str]:
    if len(value) < JWT_KEY_MIN_LENGTH:
        yield f"{name} must be at least {JWT_KEY_MIN_LENGTH} random characters"


def _retired_jwt_keys(name: str, value: str) -> Iterator[str]:
    """Retired signing keys still verify tokens: none may be the public default."""
    development = environment.DEVELOPMENT_DEFAULTS["JWT_SIGNING_KEY"]
    for position, key in enumerate(value.split(","), start=1):
        if not key.strip():
            yield f"{name} key {position} is empty"
        elif key.strip() == development:
            yield f"{name} key {position} is the development default, which is public"


def _https_url(name: str, value: str) -> Iterator[str]:
    parts = urllib.parse.urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        yield f"{name} must be an https:// URL"


def _live_gateway(name: str, value: str) -> Iterator[str]:
    """Production moves money through a real gateway only."""
    if value not in LIVE_GATEWAYS:
        yield f"{name} must be one of {', '.join(sorted(LIVE_GATEWAYS))}"


def _shop_hosts(name: str, value: str) -> Iterator[str]:
    """Payers are sent back only to the shop's own hosts, never to any host."""
    hosts = [host.strip() for host in value.split(",")]
    if any(host in {"", "*"} for host in hosts):
        yield f"{name} must list the shop's hosts, with no '*' and no empty entry"


def _mail_address(name: str, value: str) -> Iterator[str]:
    """Mail goes out from a real domain that the payer can answer."""
    _, at, domain = value.rpartition("<")[2].rstrip(">").partition("@")
    if not at or "." not in domain:
        yield f"{name} must be an e-mail address of the service's own domain"


def _server_database(name: str, value: str) -> Iterator[str]:
    try:
        engine = environ.Env.db_url_config(value)["ENGINE"]
    except (ValueError, KeyError, ImproperlyConfigured):
        yield f"{name} is not a database URL"
        return
    if "sqlite" in engine or "spatialite" in engine:
        yield f"{name} must name a database server, not SQLite"


def _networked_broker(name: str, value: str) -> Iterator[str]:
    scheme = urllib.parse.urlsplit(value).scheme.lower()
    transport = scheme.split("+")[0]
    if transport in LOCAL_BROKER_SCHEMES or "sqlite" in scheme:
        yield (
            f"{name} must name a broker (amqp://, redis://), not a file-system, "
            "in-memory or SQLite transport"
        )


# In the order of README's "Deploying safely".
RULES: Final[dict[str, Rule]] = {
    "DJANGO_SECRET_KEY": _strong_secret_key,
    "TOKEN_ENCRYPTION_KEYS": _fernet_keys,
    "JWT_SIGNING_KEY": _jwt_signing_key,
    "CLOUDPAYMENTS_PUBLIC_ID": _secret,
    "CLOUDPAYMENTS_API_SECRET": _secret,
    "CLOUDPAYMENTS_API_URL": _https_url,
    "STRIPE_SECRET_KEY": _secret,
    "STRIPE_PUBLISHABLE_KEY": _secret,
    "STRIPE_WEBHOOK_SECRET": _secret,
    "STRIPE_API_BASE": _https_url,
    "DATABASE_URL": _server_database,
    "CELERY_BROKER_URL": _networked_broker,
    "CHECKOUT_REDIRECT_ALLOWED_HOSTS": _shop_hosts,
    "EMAIL_HOST": _secret,
    "DEFAULT_FROM_EMAIL": _mail_address,
    "AUTH_GRPC_TOKEN": _secret,
    "SHOP_BILLING_TOKEN": _secret,
    "SHOP_CHECKOUT_RETURN_URL": _https_url,
    "SHOP_SHIPPING_URL": _https_url,
    "SHOP_SHIPPING_API_KEY": _secret,
    "CHECKOUT_BASE_URL": _https_url,
}
# Checked only when set: unset, production loads the gateways' own scripts,
# verifies tokens with the signing key alone and opens checkout pages on
# CloudPayments.
OPTIONAL_RULES: Final[dict[str, Rule]] = {
    "CLOUDPAYMENTS_CHECKOUT_SCRIPT_URL": _https_url,
    "STRIPE_JS_URL": _https_url,
    "JWT_VERIFYING_KEYS": _retired_jwt_keys,
    "DEFAULT_PAYMENT_GATEWAY": _live_gateway,
}
