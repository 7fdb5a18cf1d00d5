"""The gRPC clients inside a stack on one machine, and the tokens it issues them.

Billing's workers ask the stack's own AuthService for a payer's address, and the
shop holds, captures and voids payments through billing and follows its events.
On one machine both reach the stack's gRPC server; `make run` (`devstack`) and
`make stack` (`prepare_stack`) issue each a short-lived service token with only the
scopes it needs, unless the environment gives one. A deployment issues its tokens
by hand (`issue_service_token`) and keeps them in its secret store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from accounts.service_tokens import issue_service_token


@dataclass(frozen=True)
class GrpcClient:
    """A client of the stack's gRPC server: the variables that hold its token and
    its target, and the name and scopes of the token it is issued."""

    token_variable: str
    target_variable: str
    name: str
    scopes: tuple[str, ...]


STACK_CLIENTS = (
    GrpcClient("AUTH_GRPC_TOKEN", "AUTH_GRPC_TARGET", "billing", ("auth.users.read",)),
    GrpcClient(
        "SHOP_BILLING_TOKEN",
        "SHOP_BILLING_GRPC_TARGET",
        "shop",
        ("billing.payments.write", "billing.events.read"),
    ),
)


def missing_client_tokens(
    given: Mapping[str, str], *, stack: str, days: int, now: dt.datetime
) -> dict[str, str]:
    """A token for each client whose token variable `given` lacks or leaves empty,
    named `<client>-<stack>` (`shop-devstack`) so that logs tell the stacks apart."""
    return {
        client.token_variable: issue_service_token(
            name=f"{client.name}-{stack}", scopes=client.scopes, days=days, now=now
        )
        for client in STACK_CLIENTS
        if not given.get(client.token_variable)
    }
