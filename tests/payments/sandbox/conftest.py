"""A gateway sandbox on a free loopback port, shared by the conformance tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from payments.sandbox.app import Sandbox, SandboxConfig
from payments.sandbox.server import SandboxThread

SANDBOX_CONFIG = SandboxConfig(
    cloudpayments_public_id="pk_conformance",
    cloudpayments_api_secret="conformance-secret",
    stripe_secret_key="sk_test_conformance",
    stripe_publishable_key="pk_test_conformance",
    stripe_webhook_secret="whsec_conformance",
)


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
