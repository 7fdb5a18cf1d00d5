"""Checkout session requests as domain input, and a session as the answer.

A session's page is linked absolutely at `CHECKOUT_BASE_URL`: a gRPC call has no
HTTP request whose host could be used, as the REST API's `url` uses its own.
"""

from __future__ import annotations

from typing import Final

from django.conf import settings
from django.urls import reverse

from grpc_api.auth import InvalidArgument
from grpc_api.converters.values import timestamp
from grpc_api.generated.billing.v1 import billing_pb2
from payments.models import CheckoutSession, Gateway

# The gateways a caller may name; GATEWAY_UNSPECIFIED is billing's default ("").
_GATEWAYS: Final[dict[int, str]] = {
    billing_pb2.GATEWAY_UNSPECIFIED: "",
    billing_pb2.GATEWAY_CLOUDPAYMENTS: Gateway.CLOUDPAYMENTS,
    billing_pb2.GATEWAY_STRIPE: Gateway.STRIPE,
}


def checkout_gateway(value: int) -> str:
    """The gateway a page is opened at; empty for billing's default.

    :raises InvalidArgument: for a value the contract does not name.
    """
    gateway = _GATEWAYS.get(value)
    if gateway is None:
        raise InvalidArgument("gateway", f"gateway {value} is not a known gateway.")
    return gateway


def require_hold_mode(mode: int) -> None:
    """:raises InvalidArgument: unless `mode` is CHECKOUT_MODE_AUTHORIZE."""
    if mode != billing_pb2.CHECKOUT_MODE_AUTHORIZE:
        raise InvalidArgument(
            "mode", "mode is required: CHECKOUT_MODE_AUTHORIZE is the one offered."
        )


def checkout_session_response(
    session: CheckoutSession,
) -> billing_pb2.CreateCheckoutSessionResponse:
    """The session's id, the absolute address of its page and its expiry."""
    page = reverse("checkout:page", args=[session.id])
    return billing_pb2.CreateCheckoutSessionResponse(
        checkout_session_id=str(session.id),
        checkout_url=f"{str(settings.CHECKOUT_BASE_URL).rstrip('/')}{page}",
        expires_at=timestamp(session.expires_at),
    )
