"""AuthService.GetUser over a real channel to a real server."""

from __future__ import annotations

import uuid

import grpc
import pytest

from grpc_api.generated.auth.v1 import auth_pb2, auth_pb2_grpc
from tests.accounts.factories import UserFactory
from tests.grpc_api.tokens import Metadata, service_metadata, user_metadata

READER = service_metadata("auth.users.read")

pytestmark = pytest.mark.django_db(transaction=True)


def _get_user(
    channel: grpc.Channel, user_id: str, metadata: Metadata | None = None
) -> auth_pb2.GetUserResponse:
    stub = auth_pb2_grpc.AuthServiceStub(channel)
    return stub.GetUser(
        auth_pb2.GetUserRequest(uuid=user_id),
        metadata=READER if metadata is None else metadata,
        timeout=10,
    )


class TestGetUser:
    def test_answers_the_users_email_name_and_locale(
        self, channel: grpc.Channel
    ) -> None:
        user = UserFactory.create(email="ann@example.com", name="Ann", locale="ru")

        response = _get_user(channel, str(user.id))

        assert (response.email, response.name, response.locale) == (
            "ann@example.com",
            "Ann",
            "ru",
        )

    def test_is_not_found_for_an_unknown_user(self, channel: grpc.Channel) -> None:
        UserFactory.create()

        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, str(uuid.uuid4()))

        assert raised.value.code() == grpc.StatusCode.NOT_FOUND

    def test_is_not_found_for_a_deactivated_user(self, channel: grpc.Channel) -> None:
        user = UserFactory.create(is_active=False)

        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, str(user.id))

        assert raised.value.code() == grpc.StatusCode.NOT_FOUND

    @pytest.mark.parametrize("malformed", ["", "not-a-uuid", "123"])
    def test_refuses_a_malformed_uuid(
        self, channel: grpc.Channel, malformed: str
    ) -> None:
        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, malformed)

        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


class TestGetUserAccess:
    def test_refuses_a_call_without_a_token(self, channel: grpc.Channel) -> None:
        user = UserFactory.create()

        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, str(user.id), metadata=())

        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED

    def test_refuses_an_end_user_even_about_themselves(
        self, channel: grpc.Channel
    ) -> None:
        user = UserFactory.create()

        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, str(user.id), metadata=user_metadata(user.id))

        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED

    def test_refuses_a_service_without_the_users_scope(
        self, channel: grpc.Channel
    ) -> None:
        user = UserFactory.create()
        billing_reader = service_metadata("billing.read", "billing.events.read")

        with pytest.raises(grpc.RpcError) as raised:
            _get_user(channel, str(user.id), metadata=billing_reader)

        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
