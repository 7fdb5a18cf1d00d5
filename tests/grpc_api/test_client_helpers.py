"""The client helpers a frontend or a script uses: a stub that sends its token, and
what the server offers read through reflection."""

from __future__ import annotations

import uuid

import grpc
import pytest

from grpc_api.client import connect_billing, describe_service, list_services
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.server import GrpcServer
from kit import correlation
from tests.grpc_api.tokens import user_token
from tests.subscriptions.factories import make_plan

pytestmark = pytest.mark.django_db(transaction=True)


class TestConnectBilling:
    def test_every_call_carries_the_token(self, server: GrpcServer) -> None:
        make_plan(code="basic-monthly")
        billing = connect_billing(
            f"127.0.0.1:{server.port}", token=user_token(uuid.uuid4())
        )

        plans = billing.ListPlans(billing_pb2.ListPlansRequest(), timeout=10).plans

        assert [plan.code for plan in plans] == ["basic-monthly"]

    def test_every_call_carries_the_request_id_of_the_callers_work(
        self, server: GrpcServer
    ) -> None:
        """The shop's request and billing's call are followed by one id."""
        billing = connect_billing(
            f"127.0.0.1:{server.port}", token=user_token(uuid.uuid4())
        )

        with correlation.bound("shop-order-7"):
            _, call = billing.ListPlans.with_call(
                billing_pb2.ListPlansRequest(), timeout=10
            )

        assert ("x-request-id", "shop-order-7") in call.initial_metadata()

    def test_a_call_outside_any_work_gets_billings_own_id(
        self, server: GrpcServer
    ) -> None:
        billing = connect_billing(
            f"127.0.0.1:{server.port}", token=user_token(uuid.uuid4())
        )

        _, call = billing.ListPlans.with_call(
            billing_pb2.ListPlansRequest(), timeout=10
        )

        answered = str(dict(call.initial_metadata())["x-request-id"])
        assert str(uuid.UUID(answered)) == answered

    def test_a_bad_token_is_refused_as_without_the_helper(
        self, server: GrpcServer
    ) -> None:
        billing = connect_billing(f"127.0.0.1:{server.port}", token="not-a-token")

        with pytest.raises(grpc.RpcError) as raised:
            billing.ListPlans(billing_pb2.ListPlansRequest(), timeout=10)

        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


class TestReflection:
    def test_lists_the_services_without_a_token(self, channel: grpc.Channel) -> None:
        assert {
            "auth.v1.AuthService",
            "billing.v1.BillingService",
            "billing.v1.EventService",
            "grpc.health.v1.Health",
        } <= set(list_services(channel))

    def test_describes_each_rpc_with_its_messages(self, channel: grpc.Channel) -> None:
        billing = describe_service(channel, "billing.v1.BillingService")
        events = describe_service(channel, "billing.v1.EventService")

        assert (
            "  rpc StartSubscription(billing.v1.StartSubscriptionRequest) "
            "returns (billing.v1.StartSubscriptionResponse);"
        ) in billing.splitlines()
        rpcs = billing_pb2.DESCRIPTOR.services_by_name["BillingService"].methods
        assert billing.count("  rpc ") == len(rpcs)
        assert "returns (stream billing.v1.SubscribeResponse);" in events, (
            "a server stream says so"
        )
