"""Users (the accounts app's contacts) as proto messages."""

from __future__ import annotations

from accounts.selectors import UserContact
from grpc_api.generated.auth.v1 import auth_pb2


def user_message(contact: UserContact) -> auth_pb2.GetUserResponse:
    return auth_pb2.GetUserResponse(
        email=contact.email, name=contact.name, locale=contact.locale
    )
