"""Bearer tokens on every RPC, the access table, and errors as status codes."""

from __future__ import annotations

import base64
import json
import logging
import uuid

import google.rpc.error_details_pb2 as error_details_pb2
import grpc
import pytest
from grpc_status import rpc_status
from pytest_django.fixtures import Settings

from billing.errors import DomainError
from grpc_api.auth import ACCESS, PermissionDenied
from grpc_api.generated.auth.v1 import auth_pb2
from grpc_api.generated.billing.v1 import billing_pb2, billing_pb2_grpc, events_pb2
from grpc_api.servicers import _plans as plan_rpcs
from grpc_api.statuses import ERROR_STATUSES, status_code_of
from tests.grpc_api.probes import health_status
from tests.grpc_api.tokens import (
    Metadata,
    bearer,
    service_metadata,
    user_metadata,
    user_token,
)

pytestmark = pytest.mark.django_db(transaction=True)

SIGNING_KEY = "current-signing-key-of-at-least-32-characters"
RETIRED_KEY = "retired-signing-key-of-at-least-32-characters"


@pytest.fixture(autouse=True)
def keys(settings: Settings) -> None:
    settings.JWT_SIGNING_KEY = SIGNING_KEY
    settings.JWT_VERIFYING_KEYS = [RETIRED_KEY]


def _list_plans(channel: grpc.Channel, metadata: Metadata | None) -> grpc.RpcError:
    stub = billing_pb2_grpc.BillingServiceStub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListPlans(billing_pb2.ListPlansRequest(), metadata=metadata, timeout=5)
    return raised.value


def _reason(error: grpc.RpcError) -> str:
    """The domain code in the status details (google.rpc.ErrorInfo.reason)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    (detail,) = status.details
    info = error_details_pb2.ErrorInfo()
    detail.Unpack(info)
    assert info.domain == "billing"
    return info.reason


def _unsigned(claims: dict[str, object]) -> str:
    def segment(part: dict[str, object]) -> str:
        raw = json.dumps(part).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."


class TestRefusedTokens:
    @pytest.mark.parametrize(
        "metadata",
        [
            None,
            (("authorization", "Bearer"),),
            (("authorization", "Basic dXNlcjpwYXNz"),),
            (("authorization", "Bearer not-a-jwt"),),
        ],
        ids=["missing", "empty", "not-bearer", "malformed"],
    )
    def test_without_a_token_the_call_is_unauthenticated(
        self, channel: grpc.Channel, metadata: Metadata | None
    ) -> None:
        error = _list_plans(channel, metadata)

        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _reason(error) == "unauthenticated"

    def test_an_expired_token_is_unauthenticated(self, channel: grpc.Channel) -> None:
        token = user_token(uuid.uuid4(), exp=1_000_000_000)

        error = _list_plans(channel, bearer(token))

        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_a_token_signed_with_another_key_is_unauthenticated(
        self, channel: grpc.Channel
    ) -> None:
        token = user_token(uuid.uuid4(), key="somebody-elses-key-of-32-characters!!")

        error = _list_plans(channel, bearer(token))

        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_an_unsigned_alg_none_token_is_unauthenticated(
        self, channel: grpc.Channel
    ) -> None:
        claims = {"sub": str(uuid.uuid4()), "token_type": "access", "jti": "x"}

        error = _list_plans(channel, bearer(_unsigned({**claims, "exp": 9e9})))

        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_a_refresh_token_grants_no_call(self, channel: grpc.Channel) -> None:
        token = user_token(uuid.uuid4(), token_type="refresh")

        error = _list_plans(channel, bearer(token))

        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_the_reason_a_token_failed_is_logged_without_the_token(
        self, channel: grpc.Channel, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = user_token(uuid.uuid4(), key="somebody-elses-key-of-32-characters!!")
        caplog.set_level(logging.INFO)

        _list_plans(channel, bearer(token))

        assert "signed by no accepted key" in caplog.text
        assert token not in caplog.text


class TestAcceptedTokens:
    def test_a_token_signed_with_a_retired_key_is_still_accepted(
        self, channel: grpc.Channel
    ) -> None:
        """Rotation: the signing key changed, tokens of the old one still verify."""
        token = user_token(uuid.uuid4(), key=RETIRED_KEY)
        stub = billing_pb2_grpc.BillingServiceStub(channel)

        response = stub.ListPlans(
            billing_pb2.ListPlansRequest(), metadata=bearer(token), timeout=5
        )

        assert list(response.plans) == []

    def test_health_answers_without_a_token(self, channel: grpc.Channel) -> None:
        assert health_status(channel) == 1  # SERVING


class TestAccessTable:
    def test_names_every_rpc_of_the_contract(self) -> None:
        """A new RPC is refused to everyone until the table says who may call it."""
        methods = {
            f"/{service.full_name}/{method.name}"
            for module in (billing_pb2, events_pb2, auth_pb2)
            for service in module.DESCRIPTOR.services_by_name.values()
            for method in service.methods
        }

        assert set(ACCESS) == methods

    def test_a_user_token_may_not_call_a_services_only_rpc(
        self, channel: grpc.Channel
    ) -> None:
        stub = billing_pb2_grpc.BillingServiceStub(channel)

        with pytest.raises(grpc.RpcError) as raised:
            stub.RefundPayment(
                billing_pb2.RefundPaymentRequest(payment_id=str(uuid.uuid4())),
                metadata=user_metadata(uuid.uuid4()),
                timeout=5,
            )

        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert _reason(raised.value) == "permission_denied"

    def test_a_service_token_without_the_scope_is_denied(
        self, channel: grpc.Channel
    ) -> None:
        error = _list_plans(channel, service_metadata("billing.events.read"))

        assert error.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "billing.read" in (error.details() or "")


class TestErrorStatuses:
    def test_every_anticipated_error_class_maps_to_one_code(self) -> None:
        """The table ends with DomainError, so no anticipated error goes unmapped."""
        assert ERROR_STATUSES[-1][0] is DomainError
        assert status_code_of(PermissionDenied()) == grpc.StatusCode.PERMISSION_DENIED

    def test_an_unexpected_error_is_internal_with_a_fixed_message(
        self,
        channel: grpc.Channel,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """What went wrong goes to the log; the caller sees no stack trace."""

        def broken() -> None:
            raise RuntimeError("secret internals at /srv/app/module.py line 42")

        monkeypatch.setattr(plan_rpcs, "active_plan_list", broken)
        caplog.set_level(logging.ERROR)

        error = _list_plans(channel, service_metadata("billing.read"))

        assert error.code() == grpc.StatusCode.INTERNAL
        assert error.details() == "An unexpected error occurred."
        assert _reason(error) == "internal_error"
        assert "secret internals" in caplog.text
        assert "Traceback" not in str(error.trailing_metadata())
