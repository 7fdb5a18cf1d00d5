"""The service's processes as deployed, with both gateways at a sandbox on this host.

For the benchmarks (`make bench`) and the tests that run the service's own processes
against the gateway sandbox: no debug and no test clock, as in production, which
itself refuses the sandbox (plain HTTP, public credentials). So that these settings
can never move real money or ship a real parcel, they refuse a gateway or shipping
partner address off loopback.
"""

import urllib.parse

from django.core.exceptions import ImproperlyConfigured

from config import env as environment
from config.settings.base import *  # noqa: F403

DEBUG = False
BILLING_TEST_CLOCK_ENABLED = False

for _name in ("CLOUDPAYMENTS_API_URL", "STRIPE_API_BASE", "SHOP_SHIPPING_URL"):
    _host = urllib.parse.urlsplit(getattr(environment, _name)).hostname
    if _host not in {"127.0.0.1", "localhost", "::1"}:
        raise ImproperlyConfigured(f"{_name} must point at a sandbox on loopback")
