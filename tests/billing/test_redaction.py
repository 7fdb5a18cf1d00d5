"""Card data, cryptograms, tokens and secrets are masked before leaving the process."""

from __future__ import annotations

import logging

from billing.redaction import MASK, passes_luhn, redact, redact_text
from config.logs import JsonFormatter, RedactingFilter


class TestRedactText:
    def test_masks_luhn_valid_card_numbers_grouped_or_not(self) -> None:
        text = (
            "paid with 4242424242424242 and 5555 5555 5555 4444 and 4111-1111-1111-1111"
        )

        assert redact_text(text) == f"paid with {MASK} and {MASK} and {MASK}"

    def test_keeps_digit_runs_that_are_not_card_numbers(self) -> None:
        text = "invoice 1234567890123 transaction 20261123000000"

        assert redact_text(text) == text

    def test_masks_sandbox_cryptograms_credentials_and_stripe_keys(self) -> None:
        text = (
            "packet sbx1:eyJudW1iZXIiOiI0MjQyIn0 auth Basic cGs6c2VjcmV0 "
            "key sk_test_abcdef123456 hook whsec_abcdefgh1234"
        )

        redacted = redact_text(text)

        assert "sbx1:" not in redacted
        assert "cGs6c2VjcmV0" not in redacted
        assert "sk_test_abcdef123456" not in redacted
        assert "whsec_abcdefgh1234" not in redacted


class TestRedact:
    def test_masks_sensitive_keys_at_any_depth(self) -> None:
        payload = {
            "Model": {"Token": "tk_abc", "CardLastFour": "4242", "Amount": 10},
            "headers": [{"Authorization": "Bearer x"}],
            "CardCryptogramPacket": "01abc",
        }

        assert redact(payload) == {
            "Model": {"Token": MASK, "CardLastFour": "4242", "Amount": 10},
            "headers": [{"Authorization": MASK}],
            "CardCryptogramPacket": MASK,
        }

    def test_leaves_other_values_alone(self) -> None:
        assert redact({"amount_minor": 1050, "currency": "RUB", "ok": True}) == {
            "amount_minor": 1050,
            "currency": "RUB",
            "ok": True,
        }


class TestLuhn:
    def test_recognises_test_cards(self) -> None:
        assert passes_luhn("4242424242424242")
        assert not passes_luhn("4242424242424241")


class TestLogging:
    def _record(self, message: str, **extra: object) -> logging.LogRecord:
        record = logging.LogRecord("test", logging.INFO, __file__, 1, message, (), None)
        record.__dict__.update(extra)
        return record

    def test_json_lines_mask_card_numbers_and_sensitive_extras(self) -> None:
        record = self._record("charging 4242 4242 4242 4242", token="tk_1", amount=10)

        line = JsonFormatter().format(record)

        assert "4242 4242" not in line
        assert "tk_1" not in line
        assert '"amount": 10' in line

    def test_plain_text_lines_are_masked_by_the_filter(self) -> None:
        record = logging.LogRecord(
            "test", logging.INFO, __file__, 1, "card %s", ("4111111111111111",), None
        )

        RedactingFilter().filter(record)

        assert record.getMessage() == f"card {MASK}"
