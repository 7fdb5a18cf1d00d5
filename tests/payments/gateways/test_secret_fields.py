"""No secret or personal field of the gateway types shows in their `repr`.

A `repr` is what tracebacks' local variables, `%r` in log lines and error reports
show of an object, so the rule is a class rule: every dataclass of the gateways'
package, present or future, whose field the redaction policy names sensitive.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import uuid

from billing.money import Money
from kit.redaction import is_sensitive_key
from payments import gateways
from payments.gateways.base import (
    CardSetupRequest,
    ChargeRequest,
    EnteredCard,
    PayerAccount,
    SavedCard,
    ThreeDsChallenge,
)

CRYPTOGRAM = "014242424242424242260101AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/=="
TOKEN = "tk_255c42192323f2e09ea17635302c3"


def _gateway_dataclasses() -> list[type]:
    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(gateways.__path__, "payments.gateways."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_secret(owner: type, field: dataclasses.Field[object]) -> bool:
    """A field the policy names sensitive, by its own name or as its class's
    (`EnteredCard.payload` is an entered card's payload, the cryptogram)."""
    return is_sensitive_key(field.name) or is_sensitive_key(
        f"{_snake_case(owner.__name__)}_{field.name}"
    )


class TestGatewayDataclasses:
    def test_keep_every_sensitive_field_out_of_repr(self) -> None:
        """Every secret field of every gateway dataclass is declared repr=False."""
        classes = _gateway_dataclasses()

        shown = [
            f"{owner.__qualname__}.{field.name}"
            for owner in classes
            for field in dataclasses.fields(owner)
            if _is_secret(owner, field) and field.repr
        ]

        assert len(classes) >= 10
        assert shown == []

    def test_the_rule_covers_tokens_cryptograms_and_names(self) -> None:
        """The fields that carry the gateway's secrets are among those the rule
        finds, so a renamed or new one is caught the same way."""
        secret_fields = {
            f"{owner.__name__}.{field.name}"
            for owner in _gateway_dataclasses()
            for field in dataclasses.fields(owner)
            if _is_secret(owner, field)
        }

        assert {
            "EnteredCard.payload",
            "EnteredCard.cardholder_name",
            "SavedCard.token",
            "ChargeResult.token",
            "CardSetupResult.token",
            "PaymentSnapshot.token",
        } <= secret_fields

    def test_show_no_token_cryptogram_or_3ds_form_in_a_request(self) -> None:
        """The requests a gateway call holds print without what they carry."""
        payer = PayerAccount(payer_id=uuid.uuid4())
        requests = [
            ChargeRequest(
                reference="payment:1",
                idempotency_key="payment-attempt:1",
                amount=Money(1_000, "RUB"),
                payer=payer,
                source=source,
                ip_address="203.0.113.7",
            )
            for source in (EnteredCard(CRYPTOGRAM, "IVAN PETROV"), SavedCard(TOKEN))
        ]
        setup = CardSetupRequest(
            reference="card_setup:1",
            idempotency_key="card-setup:1",
            payer=payer,
            card=EnteredCard(CRYPTOGRAM),
            verification_amount=Money(100, "RUB"),
        )
        challenge = ThreeDsChallenge("42", "https://acs.example/", {"PaReq": "eJx"})

        printed = repr([*requests, setup, challenge])

        assert "payment:1" in printed
        shown = [
            value
            for value in (CRYPTOGRAM, TOKEN, "IVAN PETROV", "203.0.113.7", "eJx")
            if value in printed
        ]
        assert shown == []
