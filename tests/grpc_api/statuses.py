"""Reading a failed call's status details, as a client of the API does."""

from __future__ import annotations

import google.rpc.error_details_pb2 as error_details_pb2
import grpc
from grpc_status import rpc_status


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The google.rpc.ErrorInfo in the status details of a failed call."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    (detail,) = status.details
    info = error_details_pb2.ErrorInfo()
    detail.Unpack(info)
    assert info.domain == "billing"
    return info


def error_reason(error: grpc.RpcError) -> str:
    """The domain code in the status details (google.rpc.ErrorInfo.reason)."""
    return error_info(error).reason
