"""Prometheus metrics of the gRPC server: calls by method and status code, their
time, and the calls open now (the event streams among them).

The names and labels are those of go-grpc-prometheus, which dashboards for gRPC
servers expect. `grpc_server --metrics-port` serves them (docs/operations.md#metrics).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import grpc
from prometheus_client import Counter, Gauge, Histogram

from grpc_api.interceptors import observed, wrap_handler

_Behavior = Callable[[Any, grpc.ServicerContext], Any]

_LABELS = ("grpc_type", "grpc_service", "grpc_method")
STARTED = Counter("grpc_server_started_total", "RPCs started on the server.", _LABELS)
HANDLED = Counter(
    "grpc_server_handled_total",
    "RPCs completed on the server, by status code.",
    (*_LABELS, "grpc_code"),
)
HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of an RPC to its end (a stream's whole life).",
    _LABELS,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600),
)
IN_FLIGHT = Gauge(
    "grpc_server_calls_in_flight",
    "RPCs being served now; each holds a server thread until it ends.",
    _LABELS,
    multiprocess_mode="livesum",
)


class MetricsInterceptor(grpc.ServerInterceptor):
    """Counts and times every call of a method the server knows.

    Outermost, so that it sees the status code every other interceptor settled on.
    A method the server does not know is answered UNIMPLEMENTED by grpcio itself,
    before any interceptor's wrapper runs, and is not counted.
    """

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        service, _, method = handler_call_details.method.strip("/").rpartition("/")
        labels = (_call_type(handler), service, method)
        return wrap_handler(
            handler,
            handler_call_details.method,
            lambda _, behavior, streams: _measured(behavior, streams, labels),
        )


def _call_type(handler: grpc.RpcMethodHandler) -> str:
    if handler.request_streaming and handler.response_streaming:
        return "bidi_stream"
    if handler.request_streaming:
        return "client_stream"
    if handler.response_streaming:
        return "server_stream"
    return "unary"


def _measured(
    behavior: _Behavior, streams: bool, labels: tuple[str, str, str]
) -> _Behavior:
    def finish(started: float, context: grpc.ServicerContext, failed: bool) -> None:
        _finish(labels, context, started, failed=failed)

    return observed(behavior, streams, start=lambda: _start(labels), finish=finish)


def _start(labels: tuple[str, str, str]) -> float:
    STARTED.labels(*labels).inc()
    IN_FLIGHT.labels(*labels).inc()
    return time.perf_counter()


def _finish(
    labels: tuple[str, str, str],
    context: grpc.ServicerContext,
    started: float,
    *,
    failed: bool,
) -> None:
    HANDLING_SECONDS.labels(*labels).observe(time.perf_counter() - started)
    HANDLED.labels(*labels, status_code_name(context, failed=failed)).inc()
    IN_FLIGHT.labels(*labels).dec()


def status_code_name(context: grpc.ServicerContext, *, failed: bool) -> str:
    """The code the call ends with: the one set on it; else CANCELLED when the
    client has gone (a stream it cancelled, which the servicer then just ends);
    else UNKNOWN for a call that raised (gRPC's own rule) and OK for the rest."""
    # grpcio's `code()` (since 1.38) is not declared by types-grpcio yet.
    code = context.code()  # type: ignore[attr-defined]
    if code is None:
        if not context.is_active():
            code = grpc.StatusCode.CANCELLED
        elif failed:
            code = grpc.StatusCode.UNKNOWN
        else:
            code = grpc.StatusCode.OK
    return code.name if isinstance(code, grpc.StatusCode) else str(code)
