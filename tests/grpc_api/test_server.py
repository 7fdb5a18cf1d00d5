"""The gRPC server over a real channel: health, reflection, the access log, limits."""

from __future__ import annotations

import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from pytest_django.fixtures import Settings

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from grpc_api.server import SERVICE_NAMES, GrpcServer, build_server
from tests.grpc_api.probes import health_status, reflect

# The database must answer the health check's probe from the server's threads.
pytestmark = pytest.mark.django_db(transaction=True)


class TestHealth:
    def test_says_serving_for_the_server_and_each_service(
        self, channel: grpc.Channel
    ) -> None:
        """The server ("") and every named service are SERVING while the DB answers."""
        statuses = {name: health_status(channel, name) for name in ("", *SERVICE_NAMES)}

        assert set(statuses.values()) == {health_pb2.HealthCheckResponse.SERVING}

    def test_says_not_serving_once_the_server_is_stopping(
        self, server: GrpcServer
    ) -> None:
        """A server being drained turns NOT_SERVING so balancers send no new calls."""
        server.health.stop()

        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as opened:
            status = health_status(opened)

        assert status == health_pb2.HealthCheckResponse.NOT_SERVING


class TestReflection:
    def test_lists_the_billing_auth_and_health_services(
        self, channel: grpc.Channel
    ) -> None:
        """Reflection names every service the server answers, as grpcurl would see."""
        request = reflection_pb2.ServerReflectionRequest(list_services="")

        response = reflect(channel, request)

        listed = {s.name for s in response.list_services_response.service}
        assert listed >= {
            "billing.v1.BillingService",
            "billing.v1.EventService",
            "auth.v1.AuthService",
            "grpc.health.v1.Health",
        }

    def test_serves_the_descriptor_of_a_billing_message(
        self, channel: grpc.Channel
    ) -> None:
        """A client without the .proto files can learn the messages from the server."""
        request = reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="billing.v1.BillingService"
        )

        response = reflect(channel, request)

        assert response.file_descriptor_response.file_descriptor_proto


class TestAccessLog:
    def test_logs_method_status_and_duration_but_no_metadata_value(
        self, channel: grpc.Channel, caplog: pytest.LogCaptureFixture
    ) -> None:
        """One line per call with method, code and duration; the token never appears."""
        stub = billing_pb2_grpc.BillingServiceStub(channel)
        caplog.set_level(logging.INFO, logger="grpc_api.access")

        with pytest.raises(grpc.RpcError):
            stub.ListPayments(
                billing_pb2.ListPaymentsRequest(),
                metadata=(("authorization", "Bearer secret-token-value"),),
                timeout=5,
            )

        (record,) = [r for r in caplog.records if r.name == "grpc_api.access"]
        assert vars(record)["grpc_method"] == "/billing.v1.BillingService/ListPayments"
        assert vars(record)["grpc_code"] == "UNAUTHENTICATED"
        assert vars(record)["duration_ms"] >= 0
        assert "secret-token-value" not in str(vars(record))


class TestMessageLimit:
    def test_refuses_a_request_above_the_configured_size(
        self, settings: Settings
    ) -> None:
        """A request larger than GRPC_MAX_MESSAGE_BYTES fails RESOURCE_EXHAUSTED."""
        settings.GRPC_MAX_MESSAGE_BYTES = 1024
        small = build_server(host="127.0.0.1", port=0)
        small.start()
        request = billing_pb2.ChargePaymentRequest(
            payment=billing_pb2.OneOffPayment(description="x" * 4096)
        )

        try:
            with (
                grpc.insecure_channel(f"127.0.0.1:{small.port}") as opened,
                pytest.raises(grpc.RpcError) as raised,
            ):
                billing_pb2_grpc.BillingServiceStub(opened).ChargePayment(
                    request, timeout=5
                )
        finally:
            small.stop(grace=0)

        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
