"""Outbox events as the stream's `Event` messages.

The payload travels as a `google.protobuf.Struct`, whose numbers are doubles:
integers are exact up to 2**53, far beyond any `amount_minor` billing records (ninety
trillion units of a currency), so the outbox's JSON goes as it is.
`grpc_api.client.event_payload` turns whole numbers back into ints for consumers.
"""

from __future__ import annotations

from google.protobuf.struct_pb2 import Struct

from billing.models import BillingEvent
from grpc_api.converters.values import timestamp
from grpc_api.generated.billing.v1 import events_pb2


def event_message(event: BillingEvent) -> events_pb2.Event:
    """An outbox row as the stream sends it."""
    payload = Struct()
    payload.update(event.payload)
    return events_pb2.Event(
        cursor=event.cursor,
        id=str(event.id),
        type=event.type,
        occurred_at=timestamp(event.occurred_at),
        payer_id=str(event.payer_id) if event.payer_id is not None else "",
        payload_version=event.payload_version,
        payload=payload,
    )
