"""`make stack` as a person starts it in a terminal, and stops it with Ctrl-C.

The stack runs in a session of its own, its output in a log file; every failure
message ends with the log's last lines, so that a stack that would not start, or
a process that died, says why.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.polling import wait_until
from tests.process_trees import descendants

ROOT = Path(__file__).resolve().parents[2]
# Lines of the stack's log that a failure message shows.
LOG_TAIL_LINES = 80


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Stack:
    """`make stack` running in its own session with `environment`, like a
    terminal's foreground job."""

    def __init__(self, environment: dict[str, str], log: Path) -> None:
        self.environment = environment
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as output:
            self._process = subprocess.Popen(
                ["make", "--no-print-directory", "stack"],
                cwd=ROOT,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self._process is not None, "the stack was not started"
        return self._process.pid

    def output(self) -> str:
        """What the stack has printed so far."""
        return self.log.read_text(errors="replace")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def manage(self, *args: str, extra: dict[str, str] | None = None) -> str:
        """`make stack-manage ARGS=…`: a management command on the stack's settings
        and database; its output."""
        completed = subprocess.run(
            ["make", "--no-print-directory", "stack-manage", f"ARGS={' '.join(args)}"],
            cwd=ROOT,
            env={**self.environment, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if completed.returncode != 0:
            self.fail(f"stack-manage {args[0]} failed:\n{completed.stderr}")
        return completed.stdout

    def wait_until(
        self, condition: Callable[[], object], *, timeout: float, message: str
    ) -> None:
        """`tests.polling.wait_until`, failing with the log's end; and at once when
        the stack has stopped by itself."""

        def met() -> object:
            if not self.running:
                self.fail(f"the stack stopped while waiting: {message}")
            return condition()

        try:
            wait_until(met, timeout=timeout, interval=0.25, message=message)
        except AssertionError as failure:
            self.fail(str(failure))

    def interrupt(self, *, timeout: float) -> int:
        """Ctrl-C: SIGINT to the stack's whole process group, as a terminal sends
        it; the exit code of `make` once it has ended."""
        os.killpg(self.pid, signal.SIGINT)
        assert self._process is not None
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"make stack still runs {timeout:g} s after Ctrl-C")
            raise

    def kill(self) -> None:
        """Whatever is left, after a failure: the session's group and every process
        found below it."""
        if self._process is None:
            return
        leftovers = descendants(self.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self._process.wait()

    def fail(self, problem: str) -> None:
        lines = self.output().splitlines()[-LOG_TAIL_LINES:]
        pytest.fail(
            f"{problem}\n--- the last {len(lines)} lines of {self.log}\n"
            + "\n".join(lines),
            pytrace=False,
        )
