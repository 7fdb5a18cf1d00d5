"""Gateway registry: the adapters named in `settings.PAYMENT_GATEWAYS`."""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils.module_loading import import_string

from payments.gateways.base import PaymentGateway


class UnknownGateway(LookupError):
    pass


@functools.cache
def get_gateway(code: str) -> PaymentGateway:
    """The adapter configured for `code` (e.g. "cloudpayments", "stripe").

    :raises UnknownGateway: when settings name no adapter for `code`.
    """
    try:
        path = settings.PAYMENT_GATEWAYS[code]
    except KeyError:
        raise UnknownGateway(code) from None
    gateway: PaymentGateway = import_string(path)()
    return gateway


def reset_gateways() -> None:
    """Forget built adapters (tests that change settings call it)."""
    get_gateway.cache_clear()
