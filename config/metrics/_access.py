"""Who may read the web's metrics: a direct caller from an allowed network, or a
caller with the metrics token.

Metrics name every view, queue and gateway and count the money's states: nothing
for the open internet. The address rule trusts only the connection's own address,
and only when no proxy relayed the request: a proxy inside an allowed network
(traefik, a load balancer) would otherwise lend its address to anyone behind it.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

# Headers by which a proxy names the client it relays.
_RELAYING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def may_read_metrics(request: HttpRequest) -> bool:
    """Whether `request` carries the metrics token or comes straight from an
    allowed network."""
    if _carries_token(request, settings.METRICS_TOKEN):
        return True
    if any(header in request.headers for header in _RELAYING_HEADERS):
        return False
    return _address_in(
        request.META.get("REMOTE_ADDR", ""), settings.METRICS_ALLOWED_NETWORKS
    )


def _carries_token(request: HttpRequest, token: str) -> bool:
    if not token:
        return False
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(offered.strip().encode(), token.encode())


def _address_in(address: str, networks: Iterable[_Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    # A dual-stack socket reports IPv4 callers as ::ffff:a.b.c.d.
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in networks)
