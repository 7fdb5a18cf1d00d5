"""The payer directory over AuthService: a real client, channel and server."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import grpc
import pytest
from pytest_django.fixtures import Settings

from accounts.service_tokens import issue_service_token
from billing.directory import DirectoryUnavailable, PayerContact, payer_directory
from grpc_api.payer_directory import AuthServiceDirectory
from grpc_api.server import GrpcServer
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _token(*scopes: str) -> str:
    return issue_service_token(
        name="billing", scopes=scopes, days=1, now=dt.datetime.now(tz=dt.UTC)
    )


def _directory(server: GrpcServer, token: str | None = None) -> AuthServiceDirectory:
    return AuthServiceDirectory(
        target=f"127.0.0.1:{server.port}",
        token=_token("auth.users.read") if token is None else token,
        timeout=5,
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TestAuthServiceDirectory:
    def test_answers_the_payers_contact(self, server: GrpcServer) -> None:
        user = UserFactory.create(email="ann@example.com", name="Ann", locale="ru")

        contact = _directory(server).contact(user.id)

        assert contact == PayerContact(email="ann@example.com", name="Ann", locale="ru")

    def test_answers_none_for_a_payer_the_auth_service_does_not_know(
        self, server: GrpcServer
    ) -> None:
        assert _directory(server).contact(uuid.uuid4()) is None

    def test_answers_none_for_a_deactivated_user(self, server: GrpcServer) -> None:
        user = UserFactory.create(is_active=False)

        assert _directory(server).contact(user.id) is None

    @pytest.mark.parametrize(
        ("token", "code"),
        [
            ("", grpc.StatusCode.UNAUTHENTICATED),
            ("not-a-jwt", grpc.StatusCode.UNAUTHENTICATED),
            (_token("billing.read"), grpc.StatusCode.PERMISSION_DENIED),
        ],
    )
    def test_a_refused_token_is_an_error_not_an_outage(
        self, server: GrpcServer, token: str, code: grpc.StatusCode
    ) -> None:
        """Waiting mends no token: the task fails rather than retrying."""
        user = UserFactory.create()

        with pytest.raises(grpc.RpcError) as raised:
            _directory(server, token).contact(user.id)

        assert raised.value.code() == code

    def test_an_unreachable_service_is_a_retryable_outage(self) -> None:
        directory = AuthServiceDirectory(
            target=f"127.0.0.1:{_closed_port()}", timeout=2
        )

        with pytest.raises(DirectoryUnavailable):
            directory.contact(uuid.uuid4())

    def test_is_built_from_the_settings(self, settings: Settings) -> None:
        settings.BILLING_PAYER_DIRECTORY = (
            "grpc_api.payer_directory.AuthServiceDirectory"
        )
        settings.AUTH_GRPC_TARGET = "auth.invalid:50051"
        settings.AUTH_GRPC_TOKEN = "a-service-token"

        directory = payer_directory()

        assert isinstance(directory, AuthServiceDirectory)
        assert directory.target == "auth.invalid:50051"
        assert directory.token == "a-service-token"
        assert directory.timeout == 2.0
