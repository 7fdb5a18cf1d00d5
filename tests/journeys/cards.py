"""What the gateways' card widgets would hand the service, obtained from the sandbox."""

from __future__ import annotations

from typing import Any

import requests


def entered_card(
    sandbox_url: str, gateway: str, number: str, *, exp: str = "1230"
) -> str:
    """A CloudPayments cryptogram or a Stripe PaymentMethod id for a test card."""
    if gateway == "cloudpayments":
        reply = requests.post(
            f"{sandbox_url}/__sandbox/cp/cryptogram",
            json={"number": number, "exp": exp, "cvv": "123"},
            timeout=5,
        )
        reply.raise_for_status()
        return str(reply.json()["CardCryptogramPacket"])
    reply = requests.post(
        f"{sandbox_url}/__sandbox/stripe/payment_methods",
        json={
            "number": number,
            "exp_month": int(exp[:2]),
            "exp_year": 2000 + int(exp[2:]),
            "cvc": "123",
        },
        timeout=5,
    )
    reply.raise_for_status()
    return str(reply.json()["id"])


def pass_3ds(
    sandbox_url: str, gateway: str, gateway_reference: str, *, succeed: bool
) -> str | None:
    """Do what the payer does on the ACS page; return what the service gets back."""
    result = "success" if succeed else "fail"
    if gateway == "cloudpayments":
        reply = requests.post(
            f"{sandbox_url}/__sandbox/cp/acs/complete",
            json={"TransactionId": int(gateway_reference), "result": result},
            timeout=5,
        )
        reply.raise_for_status()
        return str(reply.json()["PaRes"])
    reply = requests.post(
        f"{sandbox_url}/__sandbox/stripe/3ds/{gateway_reference}/complete",
        json={"result": result},
        timeout=5,
    )
    reply.raise_for_status()
    return None


def ledger(sandbox_url: str, **filters: str) -> dict[str, Any]:
    reply = requests.get(f"{sandbox_url}/__sandbox/ledger", params=filters, timeout=5)
    reply.raise_for_status()
    data: dict[str, Any] = reply.json()
    return data


def set_faults(sandbox_url: str, **knobs: object) -> None:
    requests.post(
        f"{sandbox_url}/__sandbox/faults", json=knobs, timeout=5
    ).raise_for_status()


# Test cards per gateway (GATEWAYS.md A5 and C6).
CARDS = {
    "cloudpayments": {
        "success": "4000000000003055",
        "success_3ds": "4242424242424242",
        "insufficient_funds": "4000056655665556",
        "later_token_fails": "4111111111111111",
        # Asks for 3-D Secure on the card check, then pays by token without it.
        "setup_3ds": "4242424242424242",
    },
    "stripe": {
        "success": "4242424242424242",
        "success_3ds": "4000000000003220",
        "insufficient_funds": "4000000000009995",
        # Authenticates once on its SetupIntent, then pays off-session without it.
        "setup_3ds": "4000002500003155",
    },
}
DECLINE_CODES = {"cloudpayments": "5051", "stripe": "insufficient_funds"}
THREE_DS_FAILURE_CODES = {
    "cloudpayments": "5206",
    "stripe": "payment_intent_authentication_failure",
}
