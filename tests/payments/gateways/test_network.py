"""Reading `requests` failures: was the request sent, and could it have been done?"""

from __future__ import annotations

import http.client
import socket

import pytest
import requests
from urllib3.exceptions import (
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from payments.gateways.base import GatewayError, OutcomeUnknown, Unavailable
from payments.gateways.network import failure_for, was_not_sent
from payments.gateways.redaction import redact

URL = "/payments/cards/charge"


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    reason.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


def unresolvable() -> requests.ConnectionError:
    reason = NameResolutionError("api.example", None, socket.gaierror(-2, "no name"))  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


def aborted(cause: BaseException) -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", cause))


class TestFailureFor:
    @pytest.mark.parametrize(
        "exc",
        [requests.ConnectTimeout("connect timed out"), refused(), unresolvable()],
        ids=["connect timeout", "refused", "dns"],
    )
    def test_failures_before_sending_are_unavailable(self, exc: BaseException) -> None:
        error = failure_for(exc, gateway="CloudPayments", operation=URL)

        assert type(error) is Unavailable
        assert was_not_sent(exc)

    @pytest.mark.parametrize(
        "exc",
        [
            requests.ReadTimeout(ReadTimeoutError(None, URL, "read timed out")),  # type: ignore[arg-type]
            aborted(http.client.RemoteDisconnected("closed without response")),
            aborted(ConnectionResetError(104, "Connection reset by peer")),
            requests.exceptions.ChunkedEncodingError("truncated body"),
            requests.exceptions.ContentDecodingError("bad gzip"),
        ],
        ids=["read timeout", "remote disconnected", "reset", "chunked", "decoding"],
    )
    def test_failures_after_sending_are_unknown_outcomes(
        self, exc: BaseException
    ) -> None:
        error = failure_for(exc, gateway="Stripe", operation="a payment")

        assert type(error) is OutcomeUnknown
        assert not was_not_sent(exc)

    @pytest.mark.parametrize(
        "exc",
        [
            requests.exceptions.SSLError("certificate verify failed"),
            requests.exceptions.InvalidURL("bad url"),
            requests.exceptions.MissingSchema("no scheme"),
        ],
        ids=["tls", "invalid url", "missing schema"],
    )
    def test_failures_that_retrying_cannot_fix_are_errors(
        self, exc: BaseException
    ) -> None:
        error = failure_for(exc, gateway="Stripe", operation="a payment")

        assert type(error) is GatewayError

    def test_the_message_names_the_failure_but_not_its_text(self) -> None:
        exc = requests.ConnectTimeout("http://127.0.0.1:1/secret-path")

        error = failure_for(exc, gateway="Stripe", operation="a payment")

        assert "ConnectTimeout" in str(error)
        assert "secret-path" not in str(error)


class TestRedact:
    def test_removes_the_secrets_sent_and_card_numbers(self) -> None:
        text = "No such PaymentMethod: 'pm_123abc'; card 4242 4242 4242 4242 refused"

        cleaned = redact(text, "pm_123abc", None)

        assert "pm_123abc" not in cleaned
        assert "4242 4242" not in cleaned
        assert cleaned.startswith("No such PaymentMethod")

    def test_keeps_short_numbers_and_caps_the_length(self) -> None:
        assert redact("Transaction 1000000001 refused") == (
            "Transaction 1000000001 refused"
        )
        assert len(redact("x" * 1000)) <= 301
        assert redact(None) == ""
