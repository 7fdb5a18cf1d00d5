"""An event consumer in a process of its own, for the test that kills it.

    python -m tests.grpc_api.consumer_process <target> <token> <log file>

It runs `grpc_api.client.EventConsumer` with `HandledLog` as its cursor store and a
handler that does nothing, until SIGTERM stops it cleanly (exit status 0; it
touches `<log file>.ready` once SIGTERM does that). It
imports no Django: it is what a consumer outside billing runs.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from grpc_api.client import EventConsumer


class HandledLog:
    """The cursor store and the record of handled events in one append-only file.

    Each save appends the event's cursor as a line in one `write(2)`, which a
    SIGKILL cannot split: an event is recorded exactly when its cursor is saved,
    so a kill between handling and saving re-delivers an event that was never
    recorded, and the file lists every event once. The last line is the cursor.
    No fsync: a killed process loses nothing the kernel already has.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def load(self) -> int:
        text = self.path.read_bytes()
        complete = text[: text.rfind(b"\n") + 1]
        if len(complete) != len(text):
            # Never expected (see above), but a torn line must not glue onto the next.
            os.truncate(self.path, len(complete))
        lines = complete.splitlines()
        return int(lines[-1]) if lines else 0

    def save(self, cursor: int) -> None:
        os.write(self._fd, f"{cursor}\n".encode())


def main(target: str, token: str, log: str) -> None:
    consumer = EventConsumer(
        target=target,
        token=token,
        consumer="killed-and-restarted",
        handler=lambda event: None,
        store=HandledLog(Path(log)),
        backoff_seconds=0.05,
        max_backoff_seconds=0.5,
    )
    signal.signal(signal.SIGTERM, lambda signum, frame: consumer.stop())
    # From here on SIGTERM stops it cleanly; the test waits for this file.
    Path(f"{log}.ready").touch()
    consumer.run()


if __name__ == "__main__":
    main(*sys.argv[1:4])
