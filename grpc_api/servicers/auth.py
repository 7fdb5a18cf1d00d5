"""`auth.v1.AuthService`, served for `accounts`: who a user is, to write to them.

Only service tokens with the `auth.users.read` scope may call it (`grpc_api.auth`).
"""

from __future__ import annotations

import grpc

from accounts.selectors import user_contact
from billing.errors import NotFound
from grpc_api.auth import parse_uuid
from grpc_api.converters.users import user_message
from grpc_api.generated.auth.v1 import auth_pb2, auth_pb2_grpc


class UserNotFound(NotFound):
    """No such user."""

    code = "user_not_found"


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def GetUser(
        self, request: auth_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> auth_pb2.GetUserResponse:
        """:raises UserNotFound: for an unknown user and a deactivated one alike,
        who gets no more mail."""
        contact = user_contact(user_id=parse_uuid(request.uuid, "uuid"))
        if contact is None:
            raise UserNotFound()
        return user_message(contact)
