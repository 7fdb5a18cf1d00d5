"""The shipments the partner registered: its truth, whether or not a reply got through.

Tests and people count registrations per reference here (`/__sandbox/shipping/
shipments`) to tell that a client's retries registered an order once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from dataclasses import dataclass

from gateway_sandbox.shipping.params import Item, ShipmentRequest
from gateway_sandbox.snapshots import JsonObject, Record, UnreadableState

REGISTERED = "registered"


@dataclass(frozen=True, slots=True)
class Shipment:
    shipment_id: str
    tracking_number: str
    reference: str
    status: str
    created: dt.datetime
    expected_arrival: dt.date
    recipient_name: str
    recipient_email: str
    items: tuple[Item, ...]
    # The key it was registered under: known to the sandbox's controls, not the API.
    idempotency_key: str

    def public_json(self) -> JsonObject:
        """The shipment as the partner's API shows it."""
        return {
            "shipment_id": self.shipment_id,
            "tracking_number": self.tracking_number,
            "reference": self.reference,
            "status": self.status,
            "created": self.created.isoformat(),
            "expected_arrival": self.expected_arrival.isoformat(),
            "recipient": {"name": self.recipient_name, "email": self.recipient_email},
            "items": [
                {"name": item.name, "quantity": item.quantity} for item in self.items
            ],
        }

    def as_json(self) -> JsonObject:
        return {**self.public_json(), "idempotency_key": self.idempotency_key}

    @classmethod
    def from_json(cls, data: Record) -> Shipment:
        """:raises UnreadableState: for data that `as_json` did not write."""
        recipient = data.record("recipient")
        try:
            expected_arrival = dt.date.fromisoformat(data.text("expected_arrival"))
        except ValueError:
            raise UnreadableState(
                "a shipment's expected_arrival is not a date"
            ) from None
        return cls(
            shipment_id=data.text("shipment_id"),
            tracking_number=data.text("tracking_number"),
            reference=data.text("reference"),
            status=data.text("status"),
            created=data.moment("created"),
            expected_arrival=expected_arrival,
            recipient_name=recipient.text("name"),
            recipient_email=recipient.text("email"),
            items=tuple(
                Item(name=item.text("name"), quantity=item.integer("quantity"))
                for item in data.records("items")
            ),
            idempotency_key=data.text("idempotency_key"),
        )


class ShipmentBook:
    """Registered shipments, oldest first."""

    def __init__(self) -> None:
        self._shipments: list[Shipment] = []

    def register(
        self, request: ShipmentRequest, *, idempotency_key: str, now: dt.datetime
    ) -> Shipment:
        shipment = Shipment(
            shipment_id=f"shp_{secrets.token_hex(12)}",
            tracking_number=f"SBX{secrets.randbelow(10**12):012d}",
            reference=request.reference,
            status=REGISTERED,
            created=now,
            expected_arrival=request.expected_arrival,
            recipient_name=request.recipient_name,
            recipient_email=request.recipient_email,
            items=request.items,
            idempotency_key=idempotency_key,
        )
        self._shipments.append(shipment)
        return shipment

    def shipments(self, *, reference: str | None = None) -> list[Shipment]:
        return [
            shipment
            for shipment in self._shipments
            if reference is None or shipment.reference == reference
        ]

    @staticmethod
    def per_reference(shipments: list[Shipment]) -> dict[str, int]:
        """How many shipments each reference has: 1 where a client's retries held."""
        return dict(Counter(shipment.reference for shipment in shipments))

    def reset(self) -> None:
        self._shipments.clear()

    def snapshot(self) -> list[JsonObject]:
        return [shipment.as_json() for shipment in self._shipments]

    def restore(self, shipments: list[Record]) -> None:
        """:raises UnreadableState: for shipments that `snapshot` did not write."""
        self._shipments = [Shipment.from_json(shipment) for shipment in shipments]
