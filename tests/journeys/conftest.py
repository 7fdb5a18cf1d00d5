"""Journeys: real adapters and official SDKs over HTTP against the gateway sandbox."""

from __future__ import annotations

import pytest

from gateway_sandbox.app import Sandbox
from gateway_sandbox.server import SandboxThread


@pytest.fixture
def sandbox_url(journey_sandbox: SandboxThread, gateway_sandbox: Sandbox) -> str:
    """The address of a freshly reset sandbox that both adapters point at."""
    return journey_sandbox.url
