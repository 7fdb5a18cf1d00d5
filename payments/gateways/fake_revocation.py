"""The fake gateway's side of forgetting a payer: calls recorded, errors scripted.

    fake.script("revoke_card", Unavailable("down"))  # the next revocation fails

A scripted error is raised before anything happens; otherwise the call succeeds,
whether or not the card or customer was revoked before, as at the real gateways.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from payments.gateways.base import GatewayError, PayerAccount
from payments.gateways.revocation import CardRevocation


class FakeCardRevocation(CardRevocation):
    calls: list[tuple[str, dict[str, Any]]]
    _scripts: Any  # defaultdict[str, deque[Answer]], kept by FakeGateway

    def revoke_card(self, *, payer: PayerAccount, token: str) -> None:
        self._scripted_failure("revoke_card")
        self.calls.append(("revoke_card", {"payer": payer, "token": token}))

    def forget_customer(self, payer: PayerAccount) -> None:
        self._scripted_failure("forget_customer")
        self.calls.append(("forget_customer", {"payer": payer}))

    @property
    def revoked_tokens(self) -> list[str]:
        """The tokens revoked so far, in order."""
        return [call["token"] for name, call in self.calls if name == "revoke_card"]

    def _scripted_failure(self, method: str) -> None:
        queue: deque[Any] = self._scripts[method]
        scripted = queue.popleft() if queue else None
        if isinstance(scripted, GatewayError):
            raise scripted
