"""`auth.v1.AuthService`, served for `accounts`: who a user is, to write to them."""

from __future__ import annotations

import grpc

from accounts.selectors import user_contact
from grpc_api.converters import parsed_uuid, user_message
from grpc_api.generated.auth.v1 import auth_pb2, auth_pb2_grpc


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def GetUser(
        self, request: auth_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> auth_pb2.GetUserResponse:
        user_id = parsed_uuid(request.uuid)
        if user_id is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "uuid is not a UUID")
        contact = user_contact(user_id=user_id)
        if contact is None:
            # Deactivated users answer the same: they get no more mail.
            context.abort(grpc.StatusCode.NOT_FOUND, "no such user")
        return user_message(contact)
