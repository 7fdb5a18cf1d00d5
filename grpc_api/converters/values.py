"""Domain values as proto values: enum members and instants.

Enums map by name: the domain's `"month"` or `"stripe"` becomes `INTERVAL_MONTH` or
`GATEWAY_STRIPE`; a value the contract does not name becomes the `_UNSPECIFIED` zero.
"""

from __future__ import annotations

import datetime as dt

from google.protobuf.descriptor import EnumDescriptor
from google.protobuf.timestamp_pb2 import Timestamp


def enum_value(enum: EnumDescriptor, prefix: str, value: str) -> int:
    """`value` as a member of `enum` named `<prefix>_<VALUE>`, or 0 when none is."""
    member = enum.values_by_name.get(f"{prefix}_{value.upper()}")
    return member.number if member is not None else 0


def timestamp(instant: dt.datetime | None) -> Timestamp | None:
    """`instant` as a Timestamp; None (the field left unset) for no instant."""
    if instant is None:
        return None
    message = Timestamp()
    message.FromDatetime(instant.astimezone(dt.UTC))
    return message
