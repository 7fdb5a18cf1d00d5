"""The sandbox's own credentials, the only ones its command runs with.

The sandbox signs notifications with these secrets and answers anyone who presents
them, so they are public by design (the service's development defaults are the same
values). Handed a real credential instead — a live Stripe key, production's webhook
secret or CloudPayments API secret — it would sign with it for whoever reaches it;
`gateway_sandbox` therefore refuses every other value (see `foreign_credentials`).
The sandbox keeps no database, so credentials are all it reads of the service's
configuration besides the service's address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Setting (and environment variable) name → the sandbox's value.
SANDBOX_CREDENTIALS: Final[Mapping[str, str]] = {
    "CLOUDPAYMENTS_PUBLIC_ID": "pk_sandbox",
    "CLOUDPAYMENTS_API_SECRET": "sandbox-api-secret",
    "STRIPE_SECRET_KEY": "sk_test_sandbox",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_sandbox",
    "STRIPE_WEBHOOK_SECRET": "whsec_sandbox",
    # The shipping partner's API key (the snack shop's SHOP_SHIPPING_API_KEY).
    "SHOP_SHIPPING_API_KEY": "ship_test_sandbox",
}
# Live-mode Stripe keys: secret, restricted and publishable.
LIVE_STRIPE_PREFIXES: Final = ("sk_live_", "rk_live_", "pk_live_")


def foreign_credentials(configured: Mapping[str, object]) -> list[str]:
    """Why each configured credential that is not the sandbox's own is refused.

    `configured` maps the names of `SANDBOX_CREDENTIALS` to the values found; the
    reasons name the setting, never its value.
    """
    problems = []
    for name, own in SANDBOX_CREDENTIALS.items():
        value = configured.get(name)
        if value == own:
            continue
        if isinstance(value, str) and value.startswith(LIVE_STRIPE_PREFIXES):
            problems.append(f"{name} is a live Stripe key")
        else:
            problems.append(f"{name} is not the sandbox's own ({own})")
    return problems
