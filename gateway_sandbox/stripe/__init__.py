"""The Stripe half of the gateway sandbox (GATEWAYS.md Parts C and D).

Modules by concept: `api` routes and answers `/v1/`; `encoding`, `errors`, `wire`
and `idempotency` are the protocol; `customers`, `payment_methods`, `setup_intents`,
`payment_intents` (with `attempts` and `intent_settings`), `charges`, `refunds` and
`events` are the resources; `cards` and `outcomes` are the test cards and their
rules; `webhooks`, `threeds` and `widget` are the sandbox's own endpoints.
"""

from gateway_sandbox.stripe.gateway import SimulatedStripe

__all__ = ["SimulatedStripe"]
