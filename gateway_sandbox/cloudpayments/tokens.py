"""Card tokens for recurring payments, issued when a payment names its AccountId."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from gateway_sandbox.cloudpayments.cryptogram import CardData


@dataclass(slots=True)
class StoredToken:
    token: str
    # A token works only on the terminal that issued it and only for its account.
    public_id: str
    account_id: str
    card: CardData


class TokenStore:
    def __init__(self) -> None:
        self._by_token: dict[str, StoredToken] = {}
        self._by_card: dict[tuple[str, str, str], StoredToken] = {}

    def issue(self, *, card: CardData, account_id: str, public_id: str) -> str:
        """The token of this card for this account, the same one on every payment.

        The card data is refreshed, so a reissued card (new expiry) keeps its token.
        """
        key = (public_id, account_id, card.number)
        stored = self._by_card.get(key)
        if stored is None:
            stored = StoredToken(
                token="tk_" + secrets.token_hex(15)[:29],
                public_id=public_id,
                account_id=account_id,
                card=card,
            )
            self._by_card[key] = stored
            self._by_token[stored.token] = stored
        stored.card = card
        return stored.token

    def find(self, token: str) -> StoredToken | None:
        return self._by_token.get(token)

    def all(self) -> list[StoredToken]:
        return list(self._by_token.values())

    def add(self, stored: StoredToken) -> None:
        """Keep a token issued before (a restart)."""
        key = (stored.public_id, stored.account_id, stored.card.number)
        self._by_card[key] = stored
        self._by_token[stored.token] = stored

    def reset(self) -> None:
        self._by_token.clear()
        self._by_card.clear()
