"""Sandbox-only shipping controls under `/__sandbox/shipping/` [SANDBOX]."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from gateway_sandbox.controls import control_error, read_json_object
from gateway_sandbox.faults import InvalidFaultSetting

if TYPE_CHECKING:
    from gateway_sandbox.shipping.partner import SimulatedShippingPartner


class ShippingControls:
    def __init__(self, partner: SimulatedShippingPartner) -> None:
        self._partner = partner

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/__sandbox/shipping/faults", self.show_faults),
            web.post("/__sandbox/shipping/faults", self.change_faults),
            web.get("/__sandbox/shipping/shipments", self.shipments),
            web.get("/__sandbox/shipping/stats", self.stats),
        ]

    async def show_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self._partner.faults.as_json())

    async def change_faults(self, request: web.Request) -> web.Response:
        """Some of the knobs, all or nothing; answers the whole current setting."""
        try:
            self._partner.change_faults(await read_json_object(request))
        except InvalidFaultSetting as exc:
            return control_error(str(exc))
        return web.json_response(self._partner.faults.as_json())

    async def shipments(self, request: web.Request) -> web.Response:
        """`?reference=`: the registered shipments, with their keys, and how many
        each reference has."""
        book = self._partner.book
        shipments = book.shipments(reference=request.query.get("reference"))
        return web.json_response(
            {
                "shipments": [shipment.as_json() for shipment in shipments],
                "per_reference": book.per_reference(shipments),
            }
        )

    async def stats(self, request: web.Request) -> web.Response:
        """The fate of each API request since the last reset, and what it did."""
        return web.json_response(self._partner.statistics())
