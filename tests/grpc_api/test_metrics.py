"""The gRPC server's Prometheus metrics, read after calls through a real channel."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.grpc_api.events import subscribe
from tests.grpc_api.probes import health_status
from tests.polling import wait_until

# The health service's probe and the event stream read the database from the
# server's threads.
pytestmark = pytest.mark.django_db(transaction=True)

HEALTH = {"grpc_type": "unary", "grpc_service": "grpc.health.v1.Health"}
LIST_PLANS = {
    "grpc_type": "unary",
    "grpc_service": "billing.v1.BillingService",
    "grpc_method": "ListPlans",
}
SUBSCRIBE = {
    "grpc_type": "server_stream",
    "grpc_service": "billing.v1.EventService",
    "grpc_method": "Subscribe",
}


def _value(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestCallMetrics:
    def test_counts_a_call_by_method_and_status_code(
        self, channel: grpc.Channel
    ) -> None:
        check = {**HEALTH, "grpc_method": "Check"}
        before = _value("grpc_server_handled_total", {**check, "grpc_code": "OK"})
        started_before = _value("grpc_server_started_total", check)

        health_status(channel)
        health_status(channel)

        handled = _value("grpc_server_handled_total", {**check, "grpc_code": "OK"})
        assert handled - before == 2
        assert _value("grpc_server_started_total", check) - started_before == 2

    def test_counts_a_refused_call_under_its_status_code(
        self, channel: grpc.Channel
    ) -> None:
        """No token: the authentication interceptor's code is what is counted."""
        refused = {**LIST_PLANS, "grpc_code": "UNAUTHENTICATED"}
        before = _value("grpc_server_handled_total", refused)
        stub = billing_pb2_grpc.BillingServiceStub(channel)

        with pytest.raises(grpc.RpcError) as raised:
            stub.ListPlans(billing_pb2.ListPlansRequest(), timeout=10)

        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _value("grpc_server_handled_total", refused) - before == 1

    def test_times_each_call(self, channel: grpc.Channel) -> None:
        watch = {**HEALTH, "grpc_method": "Check"}
        before = _value("grpc_server_handling_seconds_count", watch)

        health_status(channel)

        assert _value("grpc_server_handling_seconds_count", watch) - before == 1
        assert _value("grpc_server_handling_seconds_sum", watch) > 0


class TestStreamsInFlight:
    def test_counts_an_event_stream_while_it_is_open(
        self, channel: grpc.Channel
    ) -> None:
        """A subscriber holds a server thread: it shows until it cancels."""
        open_before = _value("grpc_server_calls_in_flight", SUBSCRIBE)
        cancelled = {**SUBSCRIBE, "grpc_code": "CANCELLED"}
        cancelled_before = _value("grpc_server_handled_total", cancelled)

        call = subscribe(channel)
        wait_until(
            lambda: _value("grpc_server_calls_in_flight", SUBSCRIBE) == open_before + 1,
            message="the stream counts as open",
        )
        call.cancel()

        wait_until(
            lambda: _value("grpc_server_calls_in_flight", SUBSCRIBE) == open_before,
            message="the cancelled stream no longer counts",
        )
        assert _value("grpc_server_handled_total", cancelled) - cancelled_before == 1
