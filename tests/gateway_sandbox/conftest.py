"""A gateway sandbox on a free loopback port, shared by the conformance tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import stripe
from cloudpayments import CloudPayments

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread
from tests.gateway_sandbox import cloudpayments_merchant, stripe_merchant
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxThread]:
    server = SandboxThread(SANDBOX_CONFIG).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox_url(sandbox_server: SandboxThread) -> str:
    """The base URL of a freshly reset sandbox (no trailing slash)."""
    response = requests.post(f"{sandbox_server.url}/__sandbox/reset", timeout=5)
    response.raise_for_status()
    return sandbox_server.url


@pytest.fixture
def sandbox(sandbox_server: SandboxThread, sandbox_url: str) -> Sandbox:
    """The live sandbox state, for assertions that the HTTP surface does not expose."""
    assert sandbox_server.sandbox is not None
    return sandbox_server.sandbox


@pytest.fixture
def stripe_client(sandbox_url: str, sandbox: Sandbox) -> Iterator[stripe.StripeClient]:
    """The Stripe SDK pointed at the sandbox; the test fails if the sandbox crashed."""
    yield stripe_merchant.client_for(sandbox_url)
    assert stripe_merchant.gateway_of(sandbox).internal_errors == []


@pytest.fixture
def cloudpayments_client(sandbox_url: str, sandbox: Sandbox) -> Iterator[CloudPayments]:
    """The CloudPayments SDK pointed at the sandbox; the test fails if it crashed."""
    yield cloudpayments_merchant.client_for(sandbox_url, sandbox)
    assert cloudpayments_merchant.gateway_of(sandbox).transport.internal_errors == []
