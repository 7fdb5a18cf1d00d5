"""Where a consumer keeps the cursor of the last event it has handled."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol


class CursorStore(Protocol):
    """The cursor a consumer resumes after: 0 before the first event."""

    def load(self) -> int: ...

    def save(self, cursor: int) -> None: ...


class FileCursorStore:
    """The cursor in a small text file, replaced atomically on every save.

    A save writes a temporary file beside it, flushes it to disk and renames it over
    the old one, so a crash (even of the machine) leaves the old cursor or the new
    one, never a torn file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> int:
        try:
            text = self.path.read_text(encoding="ascii")
        except FileNotFoundError:
            return 0
        return int(text.strip() or 0)

    def save(self, cursor: int) -> None:
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}."
        )
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write(f"{cursor}\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        # The rename itself is durable once the directory is.
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
