"""Prometheus metrics: who may read the web's /metrics (`config.metrics`)."""

from __future__ import annotations

from config import env as environment

# Direct connections from these networks may read /metrics; a request relayed by a
# proxy (it names a forwarded client) never is, whatever the proxy's own address.
METRICS_ALLOWED_NETWORKS = environment.METRICS_ALLOWED_NETWORKS
# A scraper elsewhere sends `Authorization: Bearer <token>`; empty accepts none.
METRICS_TOKEN = environment.METRICS_TOKEN
# Set (by `config/gunicorn.py`), the web adds up the metrics its workers keep there.
PROMETHEUS_MULTIPROC_DIR = environment.prometheus_multiproc_dir()
# How long a scrape waits for the broker to tell the queue depths.
METRICS_BROKER_TIMEOUT_SECONDS = 2.0
