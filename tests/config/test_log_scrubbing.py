"""Every part of a log line and of an error report passes the redaction policy:
messages, tracebacks, stacks, breadcrumbs, contexts and frames' variables."""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator

import pytest
import sentry_sdk

from config.celery import app as celery_app
from config.logs import JsonFormatter, RedactingFilter, RedactingFormatter
from config.sentry import init_sentry, prepare_event, scrub_breadcrumb, scrub_event

# The shape GATEWAYS.md A6 gives: "01", BIN, last four, expiry, key version, then
# the RSA-encrypted card in base64.
CRYPTOGRAM = (
    "01424242424242260101AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGhIjKlMnOp"
    "QrStUvWxYz0123456789+/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdEfGhIjKlMn=="
)
TOKEN = "tk_255c42192323f2e09ea17635302c3"
SECRETS = (
    CRYPTOGRAM,
    urllib.parse.quote(CRYPTOGRAM, safe=""),
    TOKEN,
    "success_1111a3e0-2428-48fb-a530-12815d90d0e8",
    "pm_1Nz8AbcDef",
    "seti_1Q2w3E4r_secret_T5y6U7i8",
    "pi_3Kq9Zx_secret_Zx81Qw",
    "whsec_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "rk_live_4eC39HqLyjWDarjtT1zdp7dc",
)


def _failing() -> BaseException:
    try:
        raise RuntimeError(f"gateway echoed {' '.join(SECRETS)}")
    except RuntimeError as error:
        return error


def _record(*, stack: bool = False) -> logging.LogRecord:
    error = _failing()
    record = logging.LogRecord(
        "payments", logging.ERROR, __file__, 1, "Unable to pay with %s", (TOKEN,), None
    )
    record.exc_info = (type(error), error, error.__traceback__)
    record.stack_info = (
        f"Stack (most recent call last):\n  card {CRYPTOGRAM}" if stack else None
    )
    return record


def _shown(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


class TestRedactingFormatter:
    def test_masks_the_message_traceback_and_stack_of_a_text_line(self) -> None:
        formatter = RedactingFormatter("%(levelname)s %(message)s")

        line = formatter.format(_record(stack=True))

        assert "RuntimeError: gateway echoed" in line
        assert _shown(line) == []

    def test_masks_a_traceback_another_handler_cached_unmasked(self) -> None:
        """`logging.Formatter` caches the traceback on the record for the next
        handler, which prints it as it finds it."""
        record = _record()
        logging.Formatter().format(record)
        assert TOKEN in (record.exc_text or "")

        line = RedactingFormatter().format(record)

        assert _shown(line) == []

    def test_the_filter_masks_a_cached_traceback_too(self) -> None:
        record = _record()
        logging.Formatter().format(record)

        RedactingFilter().filter(record)

        assert _shown(record.getMessage() + (record.exc_text or "")) == []


class TestJsonFormatter:
    def test_masks_an_extra_that_is_written_as_its_text(self) -> None:
        """Django logs a failed request with the request itself as an extra."""
        record = _record()
        record.request = type("Request", (), {"__str__": lambda self: f"?t={TOKEN}"})()

        line = JsonFormatter().format(record)

        assert "?t=" in line
        assert _shown(line) == []

    def test_masks_the_message_exception_and_stack(self) -> None:
        line = JsonFormatter().format(_record(stack=True))

        payload = json.loads(line)
        assert set(payload) >= {"message", "exception", "stack"}
        assert "RuntimeError" in payload["exception"]
        assert _shown(line) == []


class TestWorkerLogging:
    def test_leaves_the_root_logger_and_its_redacting_handler_to_the_settings(
        self,
    ) -> None:
        """A worker that hijacked the root logger would print with Celery's own
        handler, unmasked."""
        assert celery_app.conf.worker_hijack_root_logger is False


@pytest.fixture
def sentry_options() -> Iterator[dict[str, object]]:
    init_sentry(
        dsn="http://public@127.0.0.1:9/1", environment="test", release="billing@test"
    )
    yield sentry_sdk.get_client().options
    sentry_sdk.get_client().close()
    sentry_sdk.init()


class TestSentry:
    def test_sends_no_local_variables_bodies_or_personal_data(
        self, sentry_options: dict[str, object]
    ) -> None:
        collected = sentry_options["data_collection"]
        assert isinstance(collected, dict)
        assert collected["stack_frame_variables"] is False
        assert sentry_options["include_local_variables"] is False
        assert collected["user_info"] is False
        assert collected["http_bodies"] == []
        assert collected["cookies"] == {"mode": "off"}
        assert sentry_options["max_request_body_size"] == "never"
        assert sentry_options["before_send"] is prepare_event
        assert sentry_options["before_send_transaction"] is prepare_event
        assert sentry_options["before_breadcrumb"] is scrub_breadcrumb

    def test_masks_frames_variables_by_name_and_by_pattern(self) -> None:
        """Belt and braces: if a frame's variables are sent after all."""
        frame = {
            "function": "charge",
            "vars": {"token": "'opaque-value-1'", "request": f"'{CRYPTOGRAM}'"},
        }
        event = {
            "exception": {
                "values": [
                    {"value": str(_failing()), "stacktrace": {"frames": [frame]}}
                ]
            }
        }

        scrubbed = json.dumps(scrub_event(event, {}))

        assert "opaque-value-1" not in scrubbed
        assert _shown(scrubbed) == []

    def test_masks_requests_breadcrumbs_and_contexts_but_not_the_runtime(self) -> None:
        event = {
            "request": {
                "headers": {"Content-Hmac": "c2lnbmF0dXJl", "Cookie": "sessionid=s1"},
                "query_string": f"token={TOKEN}",
                "data": {"card_payload": CRYPTOGRAM},
            },
            "breadcrumbs": {"values": [{"message": f"paid with {TOKEN}"}]},
            "contexts": {
                "runtime": {"name": "CPython", "version": "3.11.7"},
                "celery job": {"kwargs": {"payload": CRYPTOGRAM}},
            },
        }

        scrubbed = scrub_event(event, {})

        text = json.dumps(scrubbed)
        assert "c2lnbmF0dXJl" not in text and "sessionid" not in text
        assert _shown(text) == []
        assert scrubbed["contexts"]["runtime"]["name"] == "CPython"
        assert (
            _shown(json.dumps(scrub_breadcrumb({"message": f"sent {TOKEN}"}, {}))) == []
        )
