"""The web under gunicorn with several workers: its metrics add up across them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.polling import wait_until
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
HEALTHZ_COUNT = re.compile(
    r'^django_http_responses_total_by_status_view_method_total\{method="GET",'
    r'status="200",view="healthz"\} (\S+)$',
    re.MULTILINE,
)


@dataclass
class Web:
    process: subprocess.Popen[bytes]
    port: int

    def get(self, path: str) -> str:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=10) as reply:
            return str(reply.read().decode())

    def answers(self) -> bool:
        try:
            self.get("/healthz")
        except OSError:
            return False
        return True

    def healthz_count(self) -> float:
        found = HEALTHZ_COUNT.search(self.get("/metrics"))
        return float(found.group(1)) if found else 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)


def _start(var_dir: Path, **environment: str) -> Web:
    """gunicorn with two sync workers and the project's config, on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--config", "python:config.gunicorn"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "VAR_DIR": str(var_dir),
            "DATABASE_URL": "",
            **environment,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    web = Web(process, port)
    try:
        wait_until(web.answers, timeout=60, message="gunicorn answers")
    except AssertionError:
        web.stop()
        raise
    return web


def _workers_counting(folder: Path) -> set[str]:
    return {path.stem.rpartition("_")[2] for path in folder.glob("counter_*.db")}


@pytest.fixture
def stopped_at_the_end() -> Iterator[list[Web]]:
    started: list[Web] = []
    yield started
    for web in started:
        web.stop()


class TestGunicornMetrics:
    def test_every_scrape_sees_the_requests_of_every_worker(
        self, tmp_path: Path, stopped_at_the_end: list[Web]
    ) -> None:
        """With no folder given, the server makes its own, and removes it at exit."""
        web = _start(tmp_path)
        stopped_at_the_end.append(web)
        folder = Path(tempfile.gettempdir()) / f"billing-web-metrics-{web.process.pid}"
        # The readiness probe's requests, before any scrape.
        already = web.healthz_count()

        for _ in range(20):
            web.get("/healthz")
        counts = {web.healthz_count() for _ in range(6)}
        workers_counting = _workers_counting(folder)
        web.stop()

        assert len(workers_counting) == 2
        assert counts == {already + 20}
        assert not folder.exists()

    def test_empties_a_given_folder_when_it_starts(
        self, tmp_path: Path, stopped_at_the_end: list[Web]
    ) -> None:
        """Files of an earlier run would be counted again; the folder itself stays."""
        folder = tmp_path / "metrics"
        folder.mkdir()
        (folder / "counter_1.db").write_bytes(b"left over")

        web = _start(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(folder))
        stopped_at_the_end.append(web)
        web.get("/metrics")
        web.stop()

        assert not (folder / "counter_1.db").exists()
        assert _workers_counting(folder) != set()
