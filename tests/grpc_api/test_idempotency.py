"""The key and fingerprint of a write request."""

from __future__ import annotations

import uuid

import pytest

from grpc_api import auth
from grpc_api.auth import InvalidArgument
from grpc_api.generated.billing.v1 import billing_pb2
from grpc_api.idempotency import request_key
from kit.tokens import Principal, PrincipalKind

SHOP = Principal(PrincipalKind.SERVICE, "shop", frozenset(), token_id="1")


@pytest.fixture(autouse=True)
def as_the_shop() -> object:
    bound = auth.bind_caller(SHOP)
    yield
    auth.unbind_caller(bound)


def _charge(
    key: str = "k-1", amount_minor: int = 500
) -> billing_pb2.ChargePaymentRequest:
    return billing_pb2.ChargePaymentRequest(
        payment=billing_pb2.OneOffPayment(
            payer_id=str(uuid.UUID(int=1)), amount_minor=amount_minor, currency="RUB"
        ),
        idempotency_key=key,
    )


class TestRequestKey:
    def test_names_the_caller_the_key_and_the_operation(self) -> None:
        key = request_key(_charge(), operation="charge_payment")

        assert (key.client, key.key, key.operation) == (
            "service:shop",
            "k-1",
            "charge_payment",
        )

    def test_the_fingerprint_leaves_the_key_out(self) -> None:
        first = request_key(_charge("k-1"), operation="charge_payment")
        second = request_key(_charge("k-2"), operation="charge_payment")

        assert first.fingerprint == second.fingerprint

    def test_the_fingerprint_changes_with_any_other_field(self) -> None:
        first = request_key(_charge(amount_minor=500), operation="charge_payment")
        second = request_key(_charge(amount_minor=501), operation="charge_payment")

        assert first.fingerprint != second.fingerprint

    def test_an_end_users_keys_are_their_own(self) -> None:
        user = uuid.uuid4()
        bound = auth.bind_caller(
            Principal(PrincipalKind.USER, str(user), frozenset(), token_id="2")
        )
        try:
            key = request_key(_charge(), operation="charge_payment")
        finally:
            auth.unbind_caller(bound)

        assert key.client == f"user:{user}"

    @pytest.mark.parametrize("key", ["", "k" * 256])
    def test_a_missing_or_overlong_key_is_refused(self, key: str) -> None:
        with pytest.raises(InvalidArgument) as raised:
            request_key(_charge(key), operation="charge_payment")

        assert raised.value.extra == {"field": "idempotency_key"}
