"""The domain's errors as gRPC statuses: one table, the domain code in the details.

A failed call carries a `google.rpc.Status` in its trailing metadata (read it with
`grpc_status.rpc_status.from_call`) whose details hold one `google.rpc.ErrorInfo`:
`reason` is the domain's error code (`payment_not_found`, `duplicate_request`),
`domain` is `billing`, and `metadata` holds the error's `extra` facts as text.
"""

from __future__ import annotations

import json
from typing import Final, NoReturn

import google.rpc.error_details_pb2 as error_details_pb2
import google.rpc.status_pb2 as status_pb2
import grpc
from google.protobuf import any_pb2
from grpc_status import rpc_status

from billing.errors import (
    Conflict,
    DomainError,
    DuplicateRequest,
    NotFound,
)
from billing.money import CurrencyMismatch, InvalidAmount, UnknownCurrency
from grpc_api.auth import InvalidArgument, PermissionDenied, Unauthenticated
from payments.services import (
    CardPayloadRefused,
    GatewayUnavailable,
    InvalidCardAttempt,
    InvalidCheckoutSession,
)
from subscriptions.services import InvalidSubscriptionRequest

ERROR_DOMAIN: Final = "billing"
INTERNAL_ERROR_MESSAGE: Final = "An unexpected error occurred."

# The first class an error is an instance of decides its code: the specific ones
# before their bases. An anticipated error the table does not name is a state the
# request cannot be served in: FAILED_PRECONDITION.
ERROR_STATUSES: Final[tuple[tuple[type[DomainError], grpc.StatusCode], ...]] = (
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (DuplicateRequest, grpc.StatusCode.ALREADY_EXISTS),
    # A gateway outage: nothing was done, the same call may be tried again.
    (GatewayUnavailable, grpc.StatusCode.UNAVAILABLE),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidAmount, grpc.StatusCode.INVALID_ARGUMENT),
    (UnknownCurrency, grpc.StatusCode.INVALID_ARGUMENT),
    (CurrencyMismatch, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidCardAttempt, grpc.StatusCode.INVALID_ARGUMENT),
    (CardPayloadRefused, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidCheckoutSession, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidSubscriptionRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (DomainError, grpc.StatusCode.FAILED_PRECONDITION),
)


def status_code_of(error: DomainError) -> grpc.StatusCode:
    for error_class, code in ERROR_STATUSES:
        if isinstance(error, error_class):
            return code
    raise AssertionError("DomainError closes the table")  # pragma: no cover


def abort_with_error(context: grpc.ServicerContext, error: DomainError) -> NoReturn:
    """End the call with `error`'s status code, message and domain code."""
    info = error_details_pb2.ErrorInfo(
        reason=error.code,
        domain=ERROR_DOMAIN,
        metadata={key: _text(value) for key, value in error.extra.items()},
    )
    _abort(context, status_code_of(error), error.message, info)


def abort_with_internal_error(context: grpc.ServicerContext) -> NoReturn:
    """End the call INTERNAL with a fixed message: what went wrong is in the log."""
    info = error_details_pb2.ErrorInfo(reason="internal_error", domain=ERROR_DOMAIN)
    _abort(context, grpc.StatusCode.INTERNAL, INTERNAL_ERROR_MESSAGE, info)


def _abort(
    context: grpc.ServicerContext,
    code: grpc.StatusCode,
    message: str,
    info: error_details_pb2.ErrorInfo,
) -> NoReturn:
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status raises")  # pragma: no cover


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
