"""Each call runs under a request id: the caller's `x-request-id` metadata when
well formed, a new one otherwise, sent back in the initial metadata and named by
every line logged while the call is served."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2
from pytest_django.fixtures import Settings

from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc
from kit import correlation
from tests.config.console_logs import console_logs
from tests.grpc_api.tokens import Metadata, bearer, service_metadata

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "x-request-id"


@pytest.fixture
def json_logs(settings: Settings) -> Iterator[io.StringIO]:
    with console_logs(settings.LOGGING, "json", level="INFO") as stream:
        yield stream


def _list_plans(channel: grpc.Channel, metadata: Metadata) -> Any:
    """ListPlans as a reader, with the response's call for its metadata."""
    stub = billing_pb2_grpc.BillingServiceStub(channel)
    return stub.ListPlans.with_call(
        billing_pb2.ListPlansRequest(),
        metadata=(*service_metadata("billing.read"), *metadata),
        timeout=10,
    )


def _answered_id(call: grpc.Call) -> str:
    [value] = [value for key, value in call.initial_metadata() if key == KEY]
    return str(value)


def _lines(stream: io.StringIO, logger: str) -> list[dict[str, Any]]:
    lines = (json.loads(line) for line in stream.getvalue().splitlines())
    return [line for line in lines if line["logger"] == logger]


class TestAUnaryCall:
    def test_answers_with_the_callers_request_id(self, channel: grpc.Channel) -> None:
        _, call = _list_plans(channel, ((KEY, "shop-7f3a"),))

        assert _answered_id(call) == "shop-7f3a"

    def test_answers_with_a_new_id_when_the_caller_sent_none(
        self, channel: grpc.Channel
    ) -> None:
        _, call = _list_plans(channel, ())

        answered = _answered_id(call)
        assert str(uuid.UUID(answered)) == answered

    @pytest.mark.parametrize(
        "incoming",
        ["r" * (correlation.MAX_LENGTH + 1), "two words", "card 4242424242424242"],
        ids=["too long", "space", "card number"],
    )
    def test_replaces_a_bad_id_with_a_new_one(
        self, channel: grpc.Channel, incoming: str
    ) -> None:
        _, call = _list_plans(channel, ((KEY, incoming),))

        answered = _answered_id(call)
        assert str(uuid.UUID(answered)) == answered

    def test_a_refused_call_has_its_id_too(
        self, channel: grpc.Channel, json_logs: io.StringIO
    ) -> None:
        """Why the token failed is logged under the id the caller can quote."""
        stub = billing_pb2_grpc.BillingServiceStub(channel)

        with pytest.raises(grpc.RpcError) as refused:
            stub.ListPlans(
                billing_pb2.ListPlansRequest(),
                metadata=(*bearer("not-a-token"), (KEY, "shop-7f3b")),
                timeout=10,
            )

        error: Any = refused.value
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _answered_id(error) == "shop-7f3b"
        [refusal] = _lines(json_logs, "grpc_api.auth")
        assert refusal["request_id"] == "shop-7f3b"

    def test_its_access_line_names_the_id(
        self, channel: grpc.Channel, json_logs: io.StringIO
    ) -> None:
        _list_plans(channel, ((KEY, "shop-7f3c"),))

        [access] = _lines(json_logs, "grpc_api.access")
        assert access["request_id"] == "shop-7f3c"
        assert access["extra"]["grpc_method"].endswith("/ListPlans")


class TestAStreamingCall:
    def test_answers_with_the_callers_request_id_before_the_first_message(
        self, channel: grpc.Channel
    ) -> None:
        watch = channel.unary_stream(
            "/grpc.health.v1.Health/Watch",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        call: Any = watch(
            health_pb2.HealthCheckRequest(), metadata=((KEY, "watch-1"),), timeout=10
        )
        try:
            first = next(call)
            answered = _answered_id(call)
        finally:
            call.cancel()

        assert first.status == health_pb2.HealthCheckResponse.SERVING
        assert answered == "watch-1"
