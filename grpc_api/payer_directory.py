"""The payer directory over the auth service's `AuthService.GetUser`.

Settings wire it as `BILLING_PAYER_DIRECTORY`: it answers `billing.directory`'s
`PayerDirectory` by asking `AUTH_GRPC_TARGET` with the service token
`AUTH_GRPC_TOKEN` (scope `auth.users.read`) under a deadline of
`AUTH_GRPC_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Final

import grpc
from django.conf import settings

from billing.directory import DirectoryUnavailable, PayerContact
from grpc_api.generated.auth.v1 import auth_pb2, auth_pb2_grpc

logger = logging.getLogger(__name__)

# Answers that may change if asked again later: the task retries with backoff.
_RETRYABLE: Final = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


class AuthServiceDirectory:
    """Asks the auth service; NOT_FOUND is no contact, an outage is retryable.

    A channel is opened per question: mails are few, and a fresh channel picks up
    a changed target or a restarted server with no state to go stale.
    """

    def __init__(
        self,
        *,
        target: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.target = target or settings.AUTH_GRPC_TARGET
        self.token = token if token is not None else settings.AUTH_GRPC_TOKEN
        self.timeout = timeout or settings.AUTH_GRPC_TIMEOUT_SECONDS

    def contact(self, payer_id: uuid.UUID) -> PayerContact | None:
        """The payer's contact; None when the auth service knows no such user.

        :raises DirectoryUnavailable: when the service is down, too slow or
            overloaded.
        :raises grpc.RpcError: for any other answer (a refused token above all),
            which waiting does not mend.
        """
        request = auth_pb2.GetUserRequest(uuid=str(payer_id))
        metadata = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        with grpc.insecure_channel(self.target) as channel:
            stub = auth_pb2_grpc.AuthServiceStub(channel)
            try:
                response = stub.GetUser(
                    request, timeout=self.timeout, metadata=metadata
                )
            except grpc.RpcError as error:
                code = error.code()
                if code == grpc.StatusCode.NOT_FOUND:
                    return None
                if code in _RETRYABLE:
                    raise DirectoryUnavailable(
                        f"the auth service answered {code.name}"
                    ) from error
                logger.error("The auth service refused a payer lookup: %s", code.name)
                raise
        return PayerContact(
            email=response.email, name=response.name, locale=response.locale
        )
