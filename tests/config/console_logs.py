"""A process's log output as its settings' LOGGING configures it, into a stream."""

from __future__ import annotations

import contextlib
import io
import logging
import logging.config
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def console_logs(
    logging_settings: dict[str, Any], log_format: str, *, level: str | None = None
) -> Iterator[io.StringIO]:
    """Logging configured from `logging_settings` (the LOGGING setting) in
    `log_format`, its console writing to the stream given, at `level` if given;
    the logging set-up before is restored after."""
    root = logging.getLogger()
    handlers, root_level = root.handlers[:], root.level
    stream = io.StringIO()
    console = logging_settings["handlers"]["console"]
    config: dict[str, Any] = {
        **logging_settings,
        "handlers": {"console": {**console, "formatter": log_format, "stream": stream}},
    }
    if level is not None:
        config["root"] = {**logging_settings["root"], "level": level}
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(root_level)
