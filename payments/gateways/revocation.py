"""The part of the gateway contract that forgets a payer (a privacy request).

`PaymentGateway` (in `base`) inherits it, so every adapter, the fake included, must
say what revoking a saved card and forgetting a customer mean at its gateway. It
sits in a module of its own to keep `base` to one screenful of contract per concern.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payments.gateways.base import PayerAccount


class CardRevocation(abc.ABC):
    """Revoking saved cards and customers at the gateway; both are safe to repeat."""

    @abc.abstractmethod
    def revoke_card(self, *, payer: PayerAccount, token: str) -> None:
        """Make the saved card `token` unusable at the gateway, if it can.

        A card revoked before, or unknown to the gateway, is not an error: the
        caller repeats the call after an outage.

        :raises Unavailable, OutcomeUnknown, GatewayError:
        """

    @abc.abstractmethod
    def forget_customer(self, payer: PayerAccount) -> None:
        """Delete the payer's customer record at the gateway, if it keeps one.

        Past payments stay at the gateway (they are the books); one deleted before
        is not an error.

        :raises Unavailable, OutcomeUnknown, GatewayError:
        """
