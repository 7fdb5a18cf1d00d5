"""`grpc.health.v1` that says SERVING only while the database answers."""

from __future__ import annotations

import logging
import threading

import grpc
from django.db import close_old_connections, connection
from grpc_health.v1 import health, health_pb2

logger = logging.getLogger(__name__)

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def database_answers() -> bool:
    """One `SELECT 1` on this thread's connection; any failure is a no."""
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.warning("health check: the database does not answer", exc_info=True)
        connection.close()
        return False
    return True


class DatabaseHealthServicer(health.HealthServicer):
    """Health of the server ("") and of each named service, all tied to the database.

    `Check` asks the database on every call, so a probe never reads a stale answer;
    a background thread refreshes the status every `interval` seconds so that
    `Watch` streams see the database come and go without anyone calling `Check`.
    """

    def __init__(self, services: list[str], interval: float) -> None:
        super().__init__()
        self._services = ["", *services]
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._refresh_until_stopped, name="grpc-health", daemon=True
        )

    def start(self) -> None:
        self.refresh()
        self._thread.start()

    def stop(self) -> None:
        """Every service NOT_SERVING from now on (the server is going away)."""
        self._stopped.set()
        self.enter_graceful_shutdown()

    def refresh(self) -> None:
        status = _SERVING if database_answers() else _NOT_SERVING
        for service in self._services:
            self.set(service, status)

    def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        if not self._stopped.is_set():
            self.refresh()
        return super().Check(request, context)

    def _refresh_until_stopped(self) -> None:
        while not self._stopped.wait(self._interval):
            self.refresh()
        connection.close()
