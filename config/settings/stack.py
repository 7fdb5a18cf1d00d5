"""`make stack`: the production topology on one machine, the gateway sandbox as both
gateways (Procfile, .env.stack; docs/operations.md).

The benchmark settings are already production's processes with the gateways at a
sandbox: no debug, no test clock, no demo data, and every gateway or shipping
partner address required to be on loopback, so that a stack can never move real
money. Production's own settings cannot serve here: they refuse the sandbox's
plain-HTTP addresses and public credentials, and the sandbox refuses them in turn
(`IS_PRODUCTION`). The stack adds what a person paying on its checkout page needs:
the sandbox's card form hands out sandbox cryptograms, which the checkout then takes.
"""

from config.settings.benchmark import *  # noqa: F403

CHECKOUT_SANDBOX_PAYLOADS = True
