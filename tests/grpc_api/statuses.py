"""Reading a failed call's status details, as a client of the API does."""

from __future__ import annotations

import google.rpc.error_details_pb2 as error_details_pb2
import grpc

from grpc_api.client import errors


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The google.rpc.ErrorInfo in the status details of a failed call."""
    info = errors.error_info(error)
    assert info is not None
    return info


def error_reason(error: grpc.RpcError) -> str:
    """The domain code in the status details (google.rpc.ErrorInfo.reason)."""
    return error_info(error).reason
