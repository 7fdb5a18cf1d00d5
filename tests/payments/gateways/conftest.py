"""The real adapters, built from Django settings that point at a fresh sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from payments.gateways import reset_gateways
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.payments.gateways.sandbox_access import TIMEOUT_SECONDS


@pytest.fixture
def gateway_settings(settings: Settings, sandbox_url: str) -> Iterator[Settings]:
    """Settings for both adapters, pointing at the sandbox; adapters rebuilt after."""
    settings.CLOUDPAYMENTS_PUBLIC_ID = SANDBOX_CONFIG.cloudpayments_public_id
    settings.CLOUDPAYMENTS_API_SECRET = SANDBOX_CONFIG.cloudpayments_api_secret
    settings.CLOUDPAYMENTS_API_URL = f"{sandbox_url}/"
    settings.STRIPE_SECRET_KEY = SANDBOX_CONFIG.stripe_secret_key
    settings.STRIPE_WEBHOOK_SECRET = SANDBOX_CONFIG.stripe_webhook_secret
    settings.STRIPE_API_BASE = sandbox_url
    settings.GATEWAY_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    reset_gateways()
    yield settings
    reset_gateways()
