"""What every call goes through: database connection hygiene and the access log.

The access log line names the method, the status code, the duration and the peer,
and never a metadata value: the `authorization` header carries a bearer token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from django.db import close_old_connections

logger = logging.getLogger("grpc_api.access")

_Behavior = Callable[[Any, grpc.ServicerContext], Any]


class AccessLogInterceptor(grpc.ServerInterceptor):
    """Wraps each handler: fresh database connections around it, one log line after.

    Django closes connections at the end of an HTTP request; a gRPC worker thread
    has no such signal, so the wrapper closes stale ones before and after each call
    (as django-grpc-framework does).
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _unary(method, handler.unary_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _streaming(method, handler.unary_stream),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                _unary(method, handler.stream_unary),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        assert handler.stream_stream is not None
        return grpc.stream_stream_rpc_method_handler(
            _streaming(method, handler.stream_stream),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _unary(method: str, behavior: _Behavior) -> _Behavior:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        started = time.perf_counter()
        close_old_connections()
        failed = True
        try:
            response = behavior(request, context)
            failed = False
            return response
        finally:
            close_old_connections()
            _log(method, context, started, failed=failed)

    return call


def _streaming(method: str, behavior: _Behavior) -> _Behavior:
    def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        started = time.perf_counter()
        close_old_connections()
        failed = True
        try:
            yield from behavior(request, context)
            failed = False
        finally:
            close_old_connections()
            _log(method, context, started, failed=failed)

    return call


def _log(
    method: str, context: grpc.ServicerContext, started: float, *, failed: bool
) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    # A handler that raised without setting a code ends UNKNOWN (gRPC's own rule).
    # `code()` is grpcio's (since 1.38); types-grpcio does not declare it yet.
    code = context.code()  # type: ignore[attr-defined]
    if code is None:
        code = grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK
    code_name = code.name if isinstance(code, grpc.StatusCode) else str(code)
    logger.info(
        "grpc %s %s %.1fms",
        method,
        code_name,
        duration_ms,
        extra={
            "grpc_method": method,
            "grpc_code": code_name,
            "duration_ms": duration_ms,
            "peer": context.peer(),
        },
    )
