"""Keeping the Stripe SDK's own log lines free of tokens and client secrets.

stripe-python logs every request's form body ("Post details", with
`payment_method=pm_…`, our card token) and every response body (with
`client_secret`) at DEBUG on the `stripe` logger, and Stripe's error messages at
INFO. The filter drops the DEBUG lines and scrubs the rest.
"""

from __future__ import annotations

import logging
import re
from typing import Final

from payments.gateways.redaction import REDACTED, redact

SDK_LOGGER: Final = "stripe"
# PaymentMethod ids are the tokens; `<intent id>_secret_<…>` confirms a payment.
_SECRETS: Final = re.compile(r"\bpm_[A-Za-z0-9]+|\b\w+_secret_[A-Za-z0-9]+")


class SdkLogScrubber(logging.Filter):
    """Drop the SDK's request and response bodies; scrub its other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False
        message = record.getMessage()
        cleaned = redact(_SECRETS.sub(REDACTED, message))
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Put the scrubber on the SDK's logger once (building an adapter calls it)."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, SdkLogScrubber) for f in logger.filters):
        logger.addFilter(SdkLogScrubber())
