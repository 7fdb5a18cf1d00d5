"""What every call goes through, outermost first (STYLE 3.9):

1. `RequestIdInterceptor`: the call's request id, the caller's `x-request-id`
   metadata when well formed or a new one (`kit.correlation`), held while the call
   is served and sent back as the first thing in the response's initial metadata.
2. `AccessLogInterceptor`: fresh database connections around the call and one log
   line after it, naming the method, the status code, the duration and the peer,
   never a metadata value (the `authorization` header carries a bearer token).
3. `AuthenticationInterceptor`: the bearer token verified and the RPC's access
   checked (`grpc_api.auth`) before the servicer runs.
4. `ErrorInterceptor`: the domain's anticipated errors become status codes through
   `ERROR_STATUSES` (`grpc_api.statuses`), anything else INTERNAL with a fixed
   message, never a stack trace.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import grpc
from django.db import close_old_connections

from billing.errors import DomainError
from grpc_api import auth
from grpc_api.statuses import abort_with_error, abort_with_internal_error
from kit import correlation
from kit.tokens import InvalidToken, verify_access_token

logger = logging.getLogger("grpc_api.access")
auth_logger = logging.getLogger("grpc_api.auth")

_Behavior = Callable[[Any, grpc.ServicerContext], Any]
# Wraps a method's behaviour: (method, behaviour, whether it streams) -> behaviour.
_Around = Callable[[str, _Behavior, bool], _Behavior]
_Started = TypeVar("_Started")


def wrap_handler(
    handler: grpc.RpcMethodHandler | None, method: str, around: _Around
) -> grpc.RpcMethodHandler | None:
    """`handler` with its behaviour wrapped by `around`, whatever its arity."""
    if handler is None:
        return None
    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            around(method, handler.unary_unary, False), **codec
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            around(method, handler.unary_stream, True), **codec
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            around(method, handler.stream_unary, False), **codec
        )
    assert handler.stream_stream is not None
    return grpc.stream_stream_rpc_method_handler(
        around(method, handler.stream_stream, True), **codec
    )


def observed(
    behavior: _Behavior,
    streams: bool,
    *,
    start: Callable[[], _Started],
    finish: Callable[[_Started, grpc.ServicerContext, bool], None],
) -> _Behavior:
    """`behavior` with `start()` before it and `finish(started, context, failed)`
    after it, however the call ends (a stream's after its last message)."""

    def unary(request: Any, context: grpc.ServicerContext) -> Any:
        started = start()
        failed = True
        try:
            response = behavior(request, context)
            failed = False
            return response
        finally:
            finish(started, context, failed)

    def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        started = start()
        failed = True
        try:
            yield from behavior(request, context)
            failed = False
        finally:
            finish(started, context, failed)

    return streaming if streams else unary


class _WrappingInterceptor(grpc.ServerInterceptor):
    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        return wrap_handler(continuation(handler_call_details), method, self.around)

    def around(self, method: str, behavior: _Behavior, streams: bool) -> _Behavior:
        raise NotImplementedError


class RequestIdInterceptor(_WrappingInterceptor):
    """Each call served under its request id, which the caller gets back.

    The id goes in the initial metadata, sent before anything else: a failed call
    has it too (`grpc.RpcError.initial_metadata()`), while trailing metadata is
    replaced by the error details of an aborted call.
    """

    def around(self, method: str, behavior: _Behavior, streams: bool) -> _Behavior:
        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            with _bound_request_id(context):
                return behavior(request, context)

        def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            with _bound_request_id(context):
                yield from behavior(request, context)

        return streaming if streams else unary


class AccessLogInterceptor(_WrappingInterceptor):
    """Fresh database connections around each call, one log line after it.

    Django closes connections at the end of an HTTP request; a gRPC worker thread
    has no such signal, so the wrapper closes stale ones before and after each call
    (as django-grpc-framework does).
    """

    def around(self, method: str, behavior: _Behavior, streams: bool) -> _Behavior:
        def start() -> float:
            started = time.perf_counter()
            close_old_connections()
            return started

        def finish(started: float, context: grpc.ServicerContext, failed: bool) -> None:
            close_old_connections()
            _log(method, context, started, failed=failed)

        return observed(behavior, streams, start=start, finish=finish)


class AuthenticationInterceptor(_WrappingInterceptor):
    """The caller proven by its bearer token and allowed the RPC, or refused.

    A missing, malformed, expired, forged or `alg: none` token is UNAUTHENTICATED;
    a valid token that does not grant the RPC is PERMISSION_DENIED. The servicer
    reads the caller with `grpc_api.auth.caller()`.
    """

    def around(self, method: str, behavior: _Behavior, streams: bool) -> _Behavior:
        if auth.is_public(method):
            return behavior

        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            bound = auth.bind_caller(_authenticate(method, context))
            try:
                return behavior(request, context)
            finally:
                auth.unbind_caller(bound)

        def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            bound = auth.bind_caller(_authenticate(method, context))
            try:
                yield from behavior(request, context)
            finally:
                auth.unbind_caller(bound)

        return streaming if streams else unary


class ErrorInterceptor(_WrappingInterceptor):
    """Anticipated errors as their status codes, the rest INTERNAL."""

    def around(self, method: str, behavior: _Behavior, streams: bool) -> _Behavior:
        def unary(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                return behavior(request, context)
            except DomainError as error:
                abort_with_error(context, error)
            except Exception:
                if _aborted(context):
                    raise  # the servicer ended the call itself; keep its status
                _abort_unexpected(method, context)

        def streaming(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from behavior(request, context)
            except DomainError as error:
                abort_with_error(context, error)
            except Exception:
                if _aborted(context):
                    raise  # the servicer ended the call itself; keep its status
                _abort_unexpected(method, context)

        return streaming if streams else unary


@contextlib.contextmanager
def _bound_request_id(context: grpc.ServicerContext) -> Iterator[str]:
    incoming = _metadata_value(context, correlation.GRPC_METADATA_KEY)
    with correlation.bound(incoming) as request_id:
        context.send_initial_metadata(((correlation.GRPC_METADATA_KEY, request_id),))
        yield request_id


def _metadata_value(context: grpc.ServicerContext, wanted: str) -> str | None:
    """The first text value of the metadata key `wanted` (lower case), if any."""
    for key, value in context.invocation_metadata():
        if key == wanted and isinstance(value, str):
            return value
    return None


def _authenticate(method: str, context: grpc.ServicerContext) -> auth.Principal:
    token = _bearer_token(context)
    try:
        if token is None:
            raise auth.Unauthenticated(
                "Send `authorization: Bearer <token>` with every call."
            )
        try:
            principal = verify_access_token(token)
        except InvalidToken as error:
            # Why the token failed is for the server's log, not for the caller.
            auth_logger.info("grpc %s refused a token: %s", method, error)
            raise auth.Unauthenticated("The bearer token is not valid.") from None
        auth.check_access(principal, method)
    except DomainError as error:
        abort_with_error(context, error)
    return principal


def _bearer_token(context: grpc.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _abort_unexpected(method: str, context: grpc.ServicerContext) -> NoReturn:
    logger.exception("Unable to serve %s", method)
    abort_with_internal_error(context)


def _aborted(context: grpc.ServicerContext) -> bool:
    # `context.abort()` raises after setting the code; grpcio's `code()` (since
    # 1.38) is not declared by types-grpcio yet.
    return context.code() not in (None, grpc.StatusCode.OK)  # type: ignore[attr-defined]


def _log(
    method: str, context: grpc.ServicerContext, started: float, *, failed: bool
) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    # A handler that raised without setting a code ends UNKNOWN (gRPC's own rule).
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
