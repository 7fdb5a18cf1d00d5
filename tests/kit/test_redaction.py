"""One redaction policy, and every way out of the process applies all of it."""

from __future__ import annotations

import json
import logging
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from hypothesis import given
from hypothesis import strategies as st

from config.logs import JsonFormatter, RedactingFilter
from config.sentry import scrub_event
from kit import redaction
from kit.redaction import (
    MASK,
    is_sensitive_key,
    passes_luhn,
    redact,
    redact_text,
    without_sensitive_keys,
)
from payments.admin import GatewayEventRecordAdmin
from payments.gateways.redaction import redact as redact_gateway_text
from payments.models import GatewayEventRecord

INVOICE_REFERENCE = f"payment:{uuid.uuid4()}"
# What a gateway payload may carry: card numbers (Luhn-valid or not, grouped or
# not), a CVV, cryptograms, tokens, keys, credentials and client secrets.
PAYLOAD = {
    "CardNumber": "4242424242424242",
    "Description": "card 4111 1111 1111 1111, ref 1234567812345678",
    "cvv": "9876",
    "CardCryptogramPacket": "01492500008719030128SM",
    "Note": "packet sbx1:eyJudW1iZXIi",
    "Token": "tk_3f9a8b7c",
    "Data": "pm_1Nz8Abc, pi_3Kq_secret_Zx81",
    "Key": "sk_live_4eC39HqLyjWD",
    "Authorization": "Bearer eyJhbGciOi.x.y",
    "client_secret": "pi_3Kq_secret_Zx81",
    "Amount": "10.00",
    "InvoiceId": INVOICE_REFERENCE,
    "CardLastFour": "4242",
}
SECRETS = (
    "4242424242424242",
    "4111 1111 1111 1111",
    "1234567812345678",
    "9876",
    "01492500008719030128SM",
    "sbx1:",
    "tk_3f9a8b7c",
    "pm_1Nz8Abc",
    "Zx81",
    "sk_live_4eC39HqLyjWD",
    "eyJhbGciOi",
)
KEPT = ("10.00", INVOICE_REFERENCE, '4242"')
# The shape GATEWAYS.md A6 gives a CloudPayments cryptogram: "01", BIN, last four,
# expiry, key version, then the RSA-encrypted card in base64.
REAL_CRYPTOGRAM = (
    "01424242424242260101AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGhIjKlMnOp"
    "QrStUvWxYz0123456789+/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGhIjKlMn=="
)
SECRET_SHAPES = (
    REAL_CRYPTOGRAM,
    urllib.parse.quote(REAL_CRYPTOGRAM, safe=""),
    "tk_255c42192323f2e09ea17635302c3",
    "success_1111a3e0-2428-48fb-a530-12815d90d0e8",
    "pm_1Nz8AbcDef",
    "seti_1Q2w3E4r_secret_T5y6U7i8",
    "pi_3Kq9Zx_secret_Zx81Qw",
    "whsec_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "rk_live_4eC39HqLyjWDarjtT1zdp7dc",
)


def _log_record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, message, args, None)
    record.created = 0.0
    record.__dict__.update(extra)
    return record


def _json_log_line(payload: dict[str, Any]) -> str:
    record = _log_record("notification %s", json.dumps(payload), payload=payload)
    return JsonFormatter().format(record)


def _plain_log_line(payload: dict[str, Any]) -> str:
    record = _log_record("notification %s", json.dumps(payload))
    RedactingFilter().filter(record)
    return record.getMessage()


def _sentry_event(payload: dict[str, Any]) -> str:
    event = {"extra": {"payload": payload}, "message": json.dumps(payload)}
    return json.dumps(scrub_event(event, {}))


def _stored_payload(payload: dict[str, Any]) -> str:
    return json.dumps(without_sensitive_keys(payload))


def _admin_page(payload: dict[str, Any]) -> str:
    record_admin = GatewayEventRecordAdmin(GatewayEventRecord, admin.site)
    html = record_admin.payload_display(GatewayEventRecord(payload=payload))
    return str(html).replace("&quot;", '"')


def _gateway_message(payload: dict[str, Any]) -> str:
    return redact_gateway_text(json.dumps(payload)[:290])


CONSUMERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "json log line": _json_log_line,
    "plain log line": _plain_log_line,
    "sentry event": _sentry_event,
    "stored gateway payload": _stored_payload,
    "admin page": _admin_page,
}


class TestEveryConsumer:
    @pytest.mark.parametrize("consumer", CONSUMERS.values(), ids=list(CONSUMERS))
    def test_hides_card_data_tokens_keys_and_secrets(
        self, consumer: Callable[[dict[str, Any]], str]
    ) -> None:
        output = consumer(PAYLOAD)

        assert [secret for secret in SECRETS if secret in output] == []
        assert [kept for kept in KEPT if kept not in output] == []

    def test_a_gateway_message_hides_them_too(self) -> None:
        """Gateway texts are cut at 300 characters: this one is read within them."""
        output = _gateway_message(PAYLOAD)

        shown = [secret for secret in SECRETS if secret in output]
        assert shown == []
        assert output.count(MASK) >= 6


class TestRedactText:
    def test_masks_card_numbers_grouped_or_not_luhn_valid_or_not(self) -> None:
        text = (
            "paid with 4242424242424242 and 5555 5555 5555 4444 and "
            "4111-1111-1111-1111; ref 1234567890123"
        )

        assert redact_text(text) == (
            f"paid with {MASK} and {MASK} and {MASK}; ref {MASK}"
        )

    def test_keeps_short_numbers_and_uuids(self) -> None:
        reference = "123e4567-e89b-12d3-4567-426614174000"
        text = f"transaction 1000000001 of payment {reference} at 2026-11-23 12:00"

        assert redact_text(text) == text

    def test_keeps_the_fraction_of_a_decimal_number(self) -> None:
        """Celery logs a task's run time to the femtosecond: not a card number."""
        text = "Task payments.reconcile_gateway_day succeeded in 0.012345678901234s"

        assert redact_text(text) == text
        assert redact_text("card 4242424242424242.") == f"card {MASK}."

    def test_masks_sandbox_cryptograms_credentials_and_stripe_keys(self) -> None:
        text = (
            "packet sbx1:eyJudW1iZXIiOiI0MjQyIn0 auth Basic cGs6c2VjcmV0 "
            "key sk_test_abcdef123456 hook whsec_abcdefgh1234 card pm_1Abc"
        )

        assert redact_text(text) == (
            f"packet {MASK} auth Basic {MASK} key {MASK} hook {MASK} card {MASK}"
        )

    def test_masks_the_value_written_after_a_sensitive_key(self) -> None:
        text = 'cvv=123&amount=10 {"Token": "tk_1", "currency": "RUB"}'

        assert redact_text(text) == (
            f'cvv={MASK}&amount=10 {{"Token": "{MASK}", "currency": "RUB"}}'
        )

    def test_masks_the_secrets_named_by_the_caller(self) -> None:
        assert redact_text("No such card: 'c_42'", "c_42", None) == (
            f"No such card: '{MASK}'"
        )


class TestSensitiveKeys:
    @pytest.mark.parametrize(
        "key",
        [
            "Token",
            "TokenRecipient",
            "CardCryptogramPacket",
            "card_number",
            "CardId",
            "cvc",
            "client_secret",
            "api_key",
            "PaReq",
            "authentication_result",
            "card_payload",
            "payment_method",
            "Name",
            "receipt_email",
        ],
    )
    def test_secrets_card_identifiers_and_personal_data_are_sensitive(
        self, key: str
    ) -> None:
        assert is_sensitive_key(key)

    @pytest.mark.parametrize(
        "key", ["CardLastFour", "CardFirstSix", "plan_name", "Amount", "InvoiceId"]
    )
    def test_masked_card_data_and_plain_fields_are_not(self, key: str) -> None:
        assert not is_sensitive_key(key)

    def test_redact_masks_sensitive_keys_at_any_depth(self) -> None:
        payload = {
            "Model": {"Token": "tk_abc", "CardLastFour": "4242", "Amount": 10},
            "headers": [{"Authorization": "Bearer x"}],
        }

        assert redact(payload) == {
            "Model": {"Token": MASK, "CardLastFour": "4242", "Amount": 10},
            "headers": [{"Authorization": MASK}],
        }

    def test_a_stored_payload_loses_sensitive_keys_at_any_depth(self) -> None:
        payload = {
            "object": {"client_secret": "pi_1_secret_2", "amount": 100},
            "charges": [{"payment_method": "pm_1", "billing_details": {"name": "A"}}],
        }

        assert without_sensitive_keys(payload) == {
            "object": {"amount": 100},
            "charges": [{"billing_details": {}}],
        }


class TestLuhn:
    def test_recognises_test_cards(self) -> None:
        assert passes_luhn("4242424242424242")
        assert not passes_luhn("4242424242424241")


class TestLogging:
    def test_json_lines_mask_card_numbers_and_sensitive_extras(self) -> None:
        record = _log_record("charging 4242 4242 4242 4242", token="tk_1", amount=10)

        line = JsonFormatter().format(record)

        assert "4242 4242" not in line
        assert "tk_1" not in line
        assert '"amount": 10' in line

    def test_plain_text_lines_are_masked_by_the_filter(self) -> None:
        record = _log_record("card %s", "4111111111111111")

        RedactingFilter().filter(record)

        assert record.getMessage() == f"card {MASK}"


class TestSentry:
    def test_keeps_the_sdks_own_description(self) -> None:
        event = {"sdk": {"name": "sentry.python"}, "user": {"email": "a@b.c"}}

        assert scrub_event(event, {}) == {
            "sdk": {"name": "sentry.python"},
            "user": {"email": MASK},
        }


class TestRealSecretShapes:
    @pytest.mark.parametrize("secret", SECRET_SHAPES)
    def test_masks_each_real_secret_shape_on_its_own(self, secret: str) -> None:
        """Without a key to give it away: a cryptogram, raw or URL-encoded, a
        CloudPayments token, a Stripe PaymentMethod, client secret or key."""
        assert (
            redact_text(f"sent {secret} to the gateway")
            == f"sent {MASK} to the gateway"
        )

    def test_masking_twice_changes_nothing(self) -> None:
        """A line is masked by the filter and again by the formatter."""
        text = f'{{"Token": "{SECRET_SHAPES[2]}"}} Authorization: Basic cGs6c2s='

        once = redact_text(text)

        assert (
            redact_text(once)
            == once
            == f'{{"Token": "{MASK}"}} Authorization: {MASK} {MASK}'
        )

    def test_keeps_publishable_keys_intent_ids_and_paths(self) -> None:
        """Publishable keys are public, intent ids are references; a traceback's
        file paths and transaction ids stay readable."""
        text = (
            "pk_live_51Hx seti_1Q2w3E4r pi_3Kq9Zx transaction 1000000001 File "
            '"/srv/app/.venv/lib/python3.11/site-packages/django/core/handlers/'
            'exception.py", line 55'
        )

        assert redact_text(text) == text


# Pieces of text that each pattern of the policy reacts to, in any case, and the
# harmless values a gateway payload is mostly made of.
TEXT_PIECES = st.sampled_from(
    [
        "Token",
        "CVV",
        "name",
        "Payment_Method",
        "SBX1:",
        "sk_live_",
        "Whsec_",
        "PM_",
        "Tk_",
        "success_1111a3e0-2428-48fb-a530-12815d90d0e8",
        "01424242424242260101",
        "AbCdEfGhIjKlMnOpQrSt+/",
        "%2B",
        "_secret_",
        "Bearer ",
        "basic ",
        "Ba\u017fic ",  # the long s folds to "s" in a case-insensitive search
        "\u017fecret",
        "to\u212aen",  # the Kelvin sign folds to "k"
        "4242",
        "4242 4242 4242 4242",
        "1234-5678-9012",
        "123456789012",
        str(uuid.UUID(int=123456789012)),
        "abc123",
        "599.00",
        "RUB",
        "2026-11-23 12:00:00",
        ": ",
        "=",
        '"',
        " ",
        ",",
    ]
)


class TestQuickCheck:
    @given(st.lists(TEXT_PIECES, max_size=8).map("".join))
    def test_a_text_passed_over_is_one_every_pattern_leaves_alone(
        self, text: str
    ) -> None:
        """The one search that lets most values through skips only what the whole
        policy would leave as it is."""
        assert redact_text(text) == redaction._masked_patterns(text)


class TestGatewayIds:
    def test_a_long_transaction_id_is_kept_where_a_card_number_is_not(self) -> None:
        """CloudPayments' int64 ids reach card-number length; processing needs them."""
        payload = {
            "TransactionId": "123456789012345",
            "Rrn": "123456789012",
            "Description": "card 4111111111111111",
            "Data": "123456789012345",
        }

        stored = without_sensitive_keys(payload)
        shown = redact(payload)

        for copy in (stored, shown):
            assert copy["TransactionId"] == "123456789012345"
            assert copy["Rrn"] == "123456789012"
            assert copy["Description"] == f"card {MASK}"
            assert copy["Data"] == MASK

    def test_only_digits_are_kept_under_an_id_key(self) -> None:
        stored = without_sensitive_keys({"TransactionId": "id 4111111111111111"})

        assert stored == {"TransactionId": f"id {MASK}"}
