"""How a test card answers a payment or a set-up attempt (GATEWAYS.md C5.3 to C5.5).

Pure rules, no state: the intents modules ask for a verdict and then carry it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway_sandbox.stripe.cards import AUTHENTICATION_REQUIRED, Decline, TestCard

VerdictKind = Literal["approve", "decline", "authenticate"]


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: VerdictKind
    decline: Decline | None = None


APPROVE = Verdict("approve")
AUTHENTICATE = Verdict("authenticate")


def judge_payment(
    card: TestCard,
    *,
    off_session: bool,
    set_up_for_off_session: bool,
    challenge_requested: bool,
    error_on_requires_action: bool,
) -> Verdict:
    """The verdict on confirming a PaymentIntent with `card`.

    An off-session payment cannot show a challenge, so a card that wants one is
    declined `authentication_required`; the merchant must bring the customer back.
    """
    if card.decline is not None:
        return Verdict("decline", card.decline)
    wants_authentication = (
        card.authentication == "always"
        or (card.authentication == "unless_set_up" and not set_up_for_off_session)
        or (card.authentication == "unless_set_up" and not off_session)
        or (challenge_requested and not off_session)
    )
    if wants_authentication:
        if off_session or error_on_requires_action:
            return Verdict("decline", AUTHENTICATION_REQUIRED)
        return AUTHENTICATE
    return after_authentication(card, for_setup=False)


def judge_setup(card: TestCard) -> Verdict:
    """The verdict on confirming a SetupIntent with `card` (no money is asked for)."""
    if card.decline is not None and card.declines_on_setup:
        return Verdict("decline", card.decline)
    if card.needs_authentication:
        return AUTHENTICATE
    return APPROVE


def after_authentication(card: TestCard, *, for_setup: bool) -> Verdict:
    """The verdict once the customer passed 3-D Secure (or none was needed)."""
    if not for_setup and card.decline_after_authentication is not None:
        return Verdict("decline", card.decline_after_authentication)
    return APPROVE
