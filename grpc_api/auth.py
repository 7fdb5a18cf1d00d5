"""Who may call which RPC: bearer tokens, scopes and the caller's own payer.

Every RPC except health and reflection needs `authorization: Bearer <JWT>`
(`kit.tokens` verifies it). `ACCESS` names, for each RPC, the scope a service
token needs and whether an end user's token may call it at all; an RPC missing
from the table is refused to everyone, so a new RPC is closed until it is listed.

An end user acts on their own payer only. Another payer's objects answer NOT_FOUND,
exactly as objects that do not exist, so that ids cannot be probed.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass
from typing import Final

from billing.errors import DomainError, NotFound
from kit.tokens import Principal, PrincipalKind

# Methods anyone may call: load balancers and grpcurl need no token.
PUBLIC_SERVICES: Final = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


@dataclass(frozen=True)
class Access:
    """What an RPC requires: a service's scope; `users` lets end users call it too."""

    scope: str
    users: bool = False


_BILLING = "/billing.v1.BillingService/"
_READ = Access("billing.read", users=True)
_SUBSCRIBE = Access("billing.subscriptions.write", users=True)
_MOVE_MONEY = Access("billing.payments.write")

# Every RPC of the contract and who may call it.
ACCESS: Final[dict[str, Access]] = {
    f"{_BILLING}ListPlans": _READ,
    f"{_BILLING}GetPayer": _READ,
    f"{_BILLING}GetSubscription": _READ,
    f"{_BILLING}ListPayments": _READ,
    f"{_BILLING}StartSubscription": _SUBSCRIBE,
    f"{_BILLING}Complete3ds": _SUBSCRIBE,
    f"{_BILLING}CancelSubscription": _SUBSCRIBE,
    f"{_BILLING}ResumeSubscription": _SUBSCRIBE,
    f"{_BILLING}ChangePlan": _SUBSCRIBE,
    # One-off payments are taken by services (the shop) on a payer's saved card.
    f"{_BILLING}AuthorizePayment": _MOVE_MONEY,
    f"{_BILLING}CapturePayment": _MOVE_MONEY,
    f"{_BILLING}VoidPayment": _MOVE_MONEY,
    f"{_BILLING}ChargePayment": _MOVE_MONEY,
    # A page that holds an order's amount on a card the payer enters there.
    f"{_BILLING}CreateCheckoutSession": _MOVE_MONEY,
    f"{_BILLING}RefundPayment": Access("billing.payments.refund"),
    "/billing.v1.EventService/Subscribe": Access("billing.events.read"),
    "/auth.v1.AuthService/GetUser": Access("auth.users.read"),
}

_caller: contextvars.ContextVar[Principal] = contextvars.ContextVar("grpc_caller")


class Unauthenticated(DomainError):
    """The call carries no valid bearer token."""

    code = "unauthenticated"
    http_status = 401


class PermissionDenied(DomainError):
    """The caller's token does not allow this call."""

    code = "permission_denied"
    http_status = 403


class InvalidArgument(DomainError):
    """A field of the request is missing or malformed."""

    code = "invalid_argument"
    http_status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"field": field})


class PayerNotFound(NotFound):
    """No such payer."""

    code = "payer_not_found"


def is_public(method: str) -> bool:
    return method.startswith(PUBLIC_SERVICES)


def check_access(principal: Principal, method: str) -> None:
    """Refuse `principal` a call of `method` that its token does not grant.

    :raises PermissionDenied: for an RPC not in `ACCESS`, an end user calling a
        services-only RPC, or a service token without the RPC's scope.
    """
    access = ACCESS.get(method)
    if access is None:
        raise PermissionDenied("No token grants this call.")
    if principal.kind is PrincipalKind.USER:
        if not access.users:
            raise PermissionDenied("Only services may make this call.")
        return
    if not principal.has_scope(access.scope):
        raise PermissionDenied(
            f"The service token lacks the scope {access.scope}.",
            extra={"scope": access.scope},
        )


def bind_caller(principal: Principal) -> contextvars.Token[Principal]:
    """Make `principal` the caller of the RPC running on this thread."""
    return _caller.set(principal)


def unbind_caller(token: contextvars.Token[Principal]) -> None:
    _caller.reset(token)


def caller() -> Principal:
    """The verified principal of the RPC being served."""
    return _caller.get()


def caller_actor() -> str:
    """The caller as the audit trail names it: `user:<uuid>` or `service:<name>`."""
    principal = caller()
    return f"{principal.kind}:{principal.subject}"


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """`value` as a UUID.

    :raises InvalidArgument: when it is empty or not a UUID.
    """
    if not value:
        raise InvalidArgument(field, f"{field} is required.")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(field, f"{field} is not a UUID.") from None


def payer_of_request(payer_id: str, field: str = "payer_id") -> uuid.UUID:
    """The payer a request acts on.

    An end user's is their own: an empty `payer_id` means it, another payer's is
    NOT_FOUND. A service must name the payer.

    :raises InvalidArgument: when a service names no payer, or a malformed one.
    :raises PayerNotFound: when an end user names another payer.
    """
    principal = caller()
    own = principal.user_id
    if own is None:
        return parse_uuid(payer_id, field)
    if payer_id and parse_uuid(payer_id, field) != own:
        raise PayerNotFound(extra={"payer": payer_id})
    return own


def may_see_payer(payer_id: uuid.UUID | None) -> bool:
    """Whether the caller may see an object of `payer_id`: a service sees any payer's
    objects (its scope was checked), an end user only their own."""
    own = caller().user_id
    return own is None or own == payer_id
