"""The error base classes every domain error builds on."""

from __future__ import annotations

import pickle

import pytest

from billing.errors import Conflict, DomainError, InvalidStatusTransition, NotFound
from billing.money import (
    CurrencyMismatch,
    InvalidAmount,
    UnknownCurrency,
)


class TestDomainError:
    def test_message_defaults_to_the_first_docstring_line(self) -> None:
        """A bare error says what its docstring says."""
        error = NotFound()

        assert error.message == "The requested object does not exist."
        assert str(error) == error.message

    def test_message_can_be_given(self) -> None:
        """An explicit message wins over the docstring."""
        error = NotFound("Invoice 7 does not exist.")

        assert error.message == "Invoice 7 does not exist."
        assert str(error) == "Invoice 7 does not exist."

    def test_subclass_without_a_docstring_inherits_the_message(self) -> None:
        """The default message comes from the nearest documented class."""

        class Undocumented(Conflict):
            pass

        assert Undocumented().message == Conflict().message

    def test_extra_defaults_to_an_empty_dict_and_is_copied(self) -> None:
        """extra is always a dict, and the caller's mapping is not shared."""
        given_extra: dict[str, object] = {"invoice_id": 7}

        error = DomainError(extra=given_extra)
        given_extra["invoice_id"] = 8

        assert DomainError().extra == {}
        assert error.extra == {"invoice_id": 7}

    @pytest.mark.parametrize(
        ("error_class", "code", "http_status"),
        [
            (DomainError, "domain_error", 422),
            (NotFound, "not_found", 404),
            (Conflict, "conflict", 409),
            (InvalidStatusTransition, "invalid_status_transition", 409),
            (UnknownCurrency, "unknown_currency", 422),
            (CurrencyMismatch, "currency_mismatch", 422),
            (InvalidAmount, "invalid_amount", 422),
        ],
    )
    def test_classes_carry_code_and_status(
        self, error_class: type[DomainError], code: str, http_status: int
    ) -> None:
        """Transports map errors from these two class attributes alone."""
        assert issubclass(error_class, DomainError)
        assert (error_class.code, error_class.http_status) == (code, http_status)

    def test_invalid_status_transition_is_a_conflict(self) -> None:
        """Handlers that catch Conflict also catch bad transitions."""
        assert issubclass(InvalidStatusTransition, Conflict)

    def test_survives_pickling_with_its_extra(self) -> None:
        """Errors crossing a process boundary keep message and extra."""
        error = InvalidStatusTransition("No.", extra={"from": "PAID", "to": "OPEN"})

        restored = pickle.loads(pickle.dumps(error))  # noqa: S301

        assert type(restored) is InvalidStatusTransition
        assert (restored.message, restored.extra) == ("No.", error.extra)
