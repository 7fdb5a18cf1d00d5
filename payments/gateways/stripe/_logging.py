"""Keeping the Stripe SDK's own log lines free of tokens and client secrets.

stripe-python logs every request's form body ("Post details", with
`payment_method=pm_…`, our card token) and every response body (with
`client_secret`) at DEBUG on the `stripe` logger, and Stripe's error messages at
INFO. The filter drops the DEBUG lines and scrubs the rest.
"""

from __future__ import annotations

import logging
from typing import Final

from payments.gateways.redaction import redact

SDK_LOGGER: Final = "stripe"


class SdkLogScrubber(logging.Filter):
    """Drop the SDK's request and response bodies; scrub its other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO:
            return False
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install() -> None:
    """Put the scrubber on the SDK's logger once (building an adapter calls it)."""
    logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, SdkLogScrubber) for f in logger.filters):
        logger.addFilter(SdkLogScrubber())
