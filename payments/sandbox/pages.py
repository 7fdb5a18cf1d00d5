"""Browser pages that stand in for the gateways' card widgets and 3-D Secure screens."""

from __future__ import annotations

from aiohttp import web


def routes() -> list[web.RouteDef]:
    return []
