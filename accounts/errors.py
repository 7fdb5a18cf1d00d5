"""The shop members' anticipated errors, rendered in the API's one error shape.

They build on `kit.errors` (accounts imports no billing app), so the project's
exception handler maps them like any other `DomainError`.
"""

from __future__ import annotations

from kit.errors import Conflict, DomainError, NotFound

__all__ = [
    "EmailResigned",
    "EmailTaken",
    "InvalidSignUp",
    "LastAdmin",
    "MemberNotFound",
    "NotShopAdmin",
    "WrongPassword",
]


class InvalidSignUp(DomainError):
    """The request is not valid; see extra.fields."""

    # The same answer as a serializer's field errors: one shape for the client.
    code = "validation_error"
    http_status = 400


class EmailTaken(Conflict):
    """A member with this e-mail already exists."""

    code = "email_taken"


class EmailResigned(Conflict):
    """This e-mail belongs to a member who resigned; it cannot sign up again."""

    code = "email_resigned"


class WrongPassword(DomainError):
    """The password is not the member's."""

    code = "wrong_password"
    http_status = 403


class LastAdmin(Conflict):
    """The last admin of the shop cannot resign; promote another member first."""

    code = "last_admin"


class NotShopAdmin(DomainError):
    """Only an admin of the shop may do this."""

    code = "not_shop_admin"
    http_status = 403


class MemberNotFound(NotFound):
    """No active member has this id."""

    code = "member_not_found"
