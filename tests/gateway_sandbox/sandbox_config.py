"""The credentials the conformance tests' sandbox runs with."""

from __future__ import annotations

from gateway_sandbox.app import SandboxConfig

SANDBOX_CONFIG = SandboxConfig(
    cloudpayments_public_id="pk_conformance",
    cloudpayments_api_secret="conformance-secret",
    stripe_secret_key="sk_test_conformance",
    stripe_publishable_key="pk_test_conformance",
    stripe_webhook_secret="whsec_conformance",
    shipping_api_key="ship_test_conformance",
)
