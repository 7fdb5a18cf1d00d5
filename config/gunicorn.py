"""gunicorn's settings for the web: `gunicorn config.wsgi -c python:config.gunicorn`.

Each worker process counts the requests it serves, and a scrape of /metrics reaches
whichever worker accepts it. prometheus_client's multiprocess mode makes the counts
add up: every worker writes its values to files in one folder, and /metrics reads
them all (`config.metrics.metrics_registry`). The folder is PROMETHEUS_MULTIPROC_DIR
when given, else one of this server's own under the temporary directory; it is
emptied when the server starts (another run's files would be counted again), and a
worker that exits is marked dead so that its gauges stop counting.

The workers learn the folder through `raw_env`, before they import anything that
counts; this module imports prometheus_client only in the hooks, never in the
arbiter before that.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from config import env as environment

GIVEN_METRICS_FOLDER = environment.prometheus_multiproc_dir()
METRICS_FOLDER = Path(
    GIVEN_METRICS_FOLDER
    or Path(tempfile.gettempdir()) / f"billing-web-metrics-{os.getpid()}"
)
raw_env = [f"PROMETHEUS_MULTIPROC_DIR={METRICS_FOLDER}"]


def on_starting(server: Any) -> None:
    """Start with an empty metrics folder."""
    METRICS_FOLDER.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_FOLDER.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(METRICS_FOLDER))


def on_exit(server: Any) -> None:
    """Remove the folder this server made for itself (a given one stays)."""
    if not GIVEN_METRICS_FOLDER:
        shutil.rmtree(METRICS_FOLDER, ignore_errors=True)
