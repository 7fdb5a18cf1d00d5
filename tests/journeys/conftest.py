"""Journeys: real adapters and official SDKs over HTTP against the gateway sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from pytest_django.fixtures import Settings

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from payments.gateways import reset_gateways
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG


@pytest.fixture(scope="session")
def journey_sandbox() -> Iterator[SandboxThread]:
    """A sandbox of the journeys' own (no notification addresses configured)."""
    server = SandboxThread(SANDBOX_CONFIG).start()
    yield server
    server.stop()


@pytest.fixture
def gateway_sandbox(
    journey_sandbox: SandboxThread, settings: Settings
) -> Iterator[Sandbox]:
    """A freshly reset sandbox, with both adapters pointed at it."""
    requests.post(
        f"{journey_sandbox.url}/__sandbox/reset", timeout=5
    ).raise_for_status()
    settings.SANDBOX_URL = journey_sandbox.url
    settings.CLOUDPAYMENTS_API_URL = f"{journey_sandbox.url}/"
    settings.CLOUDPAYMENTS_PUBLIC_ID = SANDBOX_CONFIG.cloudpayments_public_id
    settings.CLOUDPAYMENTS_API_SECRET = SANDBOX_CONFIG.cloudpayments_api_secret
    settings.STRIPE_API_BASE = journey_sandbox.url
    settings.STRIPE_SECRET_KEY = SANDBOX_CONFIG.stripe_secret_key
    settings.STRIPE_PUBLISHABLE_KEY = SANDBOX_CONFIG.stripe_publishable_key
    settings.STRIPE_WEBHOOK_SECRET = SANDBOX_CONFIG.stripe_webhook_secret
    reset_gateways()
    assert journey_sandbox.sandbox is not None
    yield journey_sandbox.sandbox
    reset_gateways()


@pytest.fixture
def sandbox_url(journey_sandbox: SandboxThread, gateway_sandbox: Sandbox) -> str:
    """The address of a freshly reset sandbox that both adapters point at."""
    return journey_sandbox.url
