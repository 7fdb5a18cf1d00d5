"""Reading a failed call's domain error, as billing's clients do.

Billing ends a refused call with a standard status code and one
`google.rpc.ErrorInfo` in the status details: `reason` is the domain's error
code (`no_usable_payment_method`, `duplicate_request`), `domain` is `billing`.
"""

from __future__ import annotations

import google.rpc.error_details_pb2 as error_details_pb2
import grpc
from grpc_status import rpc_status

ERROR_DOMAIN = "billing"


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo in the status details of a failed call; None when the call
    carries none (a transport failure, another server)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is None:
        return None
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info) and info.domain == ERROR_DOMAIN:
            return info
    return None


def error_reason(error: grpc.RpcError) -> str:
    """The domain code of a failed call; empty when it carries none."""
    info = error_info(error)
    return "" if info is None else info.reason
