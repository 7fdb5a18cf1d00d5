"""Every log line names the work it belongs to: `request_id`, from the settings'
LOGGING as every process configures it."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from config.logs import JsonFormatter, RedactingFormatter
from kit import correlation
from tests.config.console_logs import console_logs

# Configures logging in a format and returns the console's output.
Console = Callable[[str], io.StringIO]


@pytest.fixture
def console(settings: Settings) -> Iterator[Console]:
    """Configures logging from the settings' LOGGING, at INFO, in the format
    given; returns the console's output."""
    with contextlib.ExitStack() as stack:
        yield lambda log_format: stack.enter_context(
            console_logs(settings.LOGGING, log_format, level="INFO")
        )


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestJsonLines:
    def test_carry_the_id_of_the_work_in_hand_as_a_top_level_key(
        self, console: Console
    ) -> None:
        stream = console("json")

        with correlation.bound("shop-7f3a"):
            logging.getLogger("payments").info("charged", extra={"amount_minor": 1})

        [line] = _lines(stream)
        assert line["request_id"] == "shop-7f3a"
        assert line["extra"] == {"amount_minor": 1}

    def test_carry_an_empty_id_outside_any_work(self, console: Console) -> None:
        stream = console("json")

        logging.getLogger("payments").warning("beat is late")

        [line] = _lines(stream)
        assert line["request_id"] == ""
        assert "extra" not in line

    def test_follow_the_work_from_one_line_to_the_next(self, console: Console) -> None:
        stream = console("json")
        logger = logging.getLogger("payments")

        with correlation.bound("first"):
            logger.info("one")
        with correlation.bound("second"):
            logger.info("two")

        assert [line["request_id"] for line in _lines(stream)] == ["first", "second"]


class TestTextLines:
    def test_show_the_id_in_brackets(self, console: Console) -> None:
        stream = console("text")

        with correlation.bound("shop-7f3a"):
            logging.getLogger("payments").info("charged")

        assert " INFO [shop-7f3a] payments charged" in stream.getvalue()


def _unfiltered_record() -> logging.LogRecord:
    return logging.LogRecord("payments", logging.INFO, __file__, 1, "hi", (), None)


class TestFormatters:
    """A handler configured without the filter still gets whole lines."""

    def test_the_text_format_shows_an_empty_id(self) -> None:
        formatter = RedactingFormatter("[%(request_id)s] %(message)s")

        assert formatter.format(_unfiltered_record()) == "[] hi"

    def test_the_json_format_writes_an_empty_id(self) -> None:
        line = JsonFormatter().format(_unfiltered_record())

        assert json.loads(line)["request_id"] == ""
