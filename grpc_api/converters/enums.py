"""Domain enum values as proto enum members.

Enums map by name: the domain's `"month"` or `"stripe"` becomes `INTERVAL_MONTH` or
`GATEWAY_STRIPE`; a value the contract does not name becomes the `_UNSPECIFIED` zero.
"""

from __future__ import annotations

from google.protobuf.descriptor import EnumDescriptor


def enum_value(enum: EnumDescriptor, prefix: str, value: str) -> int:
    """`value` as a member of `enum` named `<prefix>_<VALUE>`, or 0 when none is."""
    member = enum.values_by_name.get(f"{prefix}_{value.upper()}")
    return member.number if member is not None else 0
