"""Throw-away values that production settings accept, and a way to start under them.

None of these is a real credential: the hosts do not resolve (`.invalid`), nothing
connects at start, and the keys were made for these tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]

GOOD_PRODUCTION_VALUES: Final = {
    "DJANGO_SECRET_KEY": "throw-away-secret-key-for-the-production-checks-7Qp2Vx9Lm4",
    "TOKEN_ENCRYPTION_KEYS": (
        "o-x9f2hi9u6THbhQOUB2yFZhfnVbS2TwyxuYeSZXeqk=,"
        "IE9TkkUPR6twASh5v2rIXuB1zEJrLj0fxwefM2OVj8c="
    ),
    "JWT_SIGNING_KEY": "throw-away-jwt-key-for-the-production-checks",
    "CLOUDPAYMENTS_PUBLIC_ID": "pk_throwaway_production_checks",
    "CLOUDPAYMENTS_API_SECRET": "throw-away-cloudpayments-secret",
    "CLOUDPAYMENTS_API_URL": "https://api.cloudpayments.ru/",
    "STRIPE_SECRET_KEY": "sk_test_throw-away-for-the-production-checks",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_throw-away-for-the-production-checks",
    "STRIPE_WEBHOOK_SECRET": "whsec_throw-away-for-the-production-checks",
    "STRIPE_API_BASE": "https://api.stripe.com",
    "DATABASE_URL": "postgres://billing:throw-away@database.invalid:5432/billing",
    "CELERY_BROKER_URL": "amqp://billing:throw-away@broker.invalid:5672//",
    "CHECKOUT_REDIRECT_ALLOWED_HOSTS": "shop.example,.cinema.example",
    "EMAIL_HOST": "smtp.invalid",
    "DEFAULT_FROM_EMAIL": "Billing <billing@shop.example>",
    "AUTH_GRPC_TOKEN": "throw-away-service-token-for-the-production-checks",
    "SHOP_BILLING_TOKEN": "throw-away-shop-token-for-the-production-checks",
    "SHOP_CHECKOUT_RETURN_URL": "https://shop.example/orders/{order_id}/",
    "SHOP_SHIPPING_URL": "https://shipping-partner.invalid/v1",
    "SHOP_SHIPPING_API_KEY": "throw-away-shipping-key-for-the-production-checks",
    "CHECKOUT_BASE_URL": "https://billing.example",
}
PRODUCTION_SETTINGS: Final = "config.settings.production"


def production_environment(var_dir: Path, **changes: str | None) -> dict[str, str]:
    """This process's environment with production settings and the good values,
    less every variable the caller set to None and with the others changed."""
    environment = {
        **os.environ,
        **GOOD_PRODUCTION_VALUES,
        "DJANGO_SETTINGS_MODULE": PRODUCTION_SETTINGS,
        "VAR_DIR": str(var_dir),
        "REDIS_URL": "",
    }
    for name, value in changes.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def run_manage(
    *args: str, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def import_settings(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings alone, in a process of their own, and print DEBUG."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print('DEBUG', settings.DEBUG)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
