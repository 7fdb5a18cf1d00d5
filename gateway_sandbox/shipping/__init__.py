"""The shipping partner of the gateway sandbox: where the snack shop registers the
orders it ships (`POST /shipping/v1/shipments`).

A partner that registers a shipment once per idempotency key, with knobs of its own
for failures, rate limits and timeouts drawn from a seedable generator, so that a
client's retries can be tried against it reproducibly. Modules by concept: `params`
reads a registration, `shipments` keeps them, `faults` holds the knobs and the dice,
`api` answers the partner's API and `controls` the sandbox's own `/__sandbox/shipping/`.
"""

from gateway_sandbox.shipping.partner import SimulatedShippingPartner

__all__ = ["SimulatedShippingPartner"]
