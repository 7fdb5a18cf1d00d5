"""`python manage.py grpc_server --port 50051`: serve the gRPC API until told to stop.

SIGTERM (what an orchestrator sends) and SIGINT (Ctrl-C) stop it gracefully: health
turns NOT_SERVING, new calls are refused, calls in flight get the grace period
(GRPC_SHUTDOWN_GRACE_SECONDS) to finish, then the process exits.

With `--metrics-port` it also serves its Prometheus metrics over HTTP (any path,
`/metrics` by convention), on 127.0.0.1 unless `--metrics-host` says otherwise.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from prometheus_client import start_http_server

from grpc_api.server import build_server


class Command(BaseCommand):
    help = "Serve the gRPC API (billing.v1, auth.v1, health, reflection)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="[::]", help="address to listen on")
        parser.add_argument(
            "--port",
            type=int,
            default=None,
            help=f"port to listen on (default GRPC_PORT, {settings.GRPC_PORT})",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=None,
            help="serve Prometheus metrics over HTTP on this port (default: none)",
        )
        parser.add_argument(
            "--metrics-host",
            default="127.0.0.1",
            help="address the metrics port listens on (default %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = build_server(host=options["host"], port=options["port"])
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        metrics = None
        if options["metrics_port"] is not None:
            metrics, _ = start_http_server(
                options["metrics_port"], addr=options["metrics_host"]
            )
            self.stdout.write(
                f"Metrics on http://{options['metrics_host']}:"
                f"{metrics.server_port}/metrics"
            )
        server.start()
        self.stdout.write(f"gRPC server listening on {options['host']}:{server.port}")
        self.stdout.flush()
        # The main thread waits here, where signal handlers run; the server's own
        # threads serve the calls.
        stopping.wait()
        self.stdout.write("gRPC server stopping: calls in flight may finish")
        self.stdout.flush()
        server.stop()
        if metrics is not None:
            metrics.shutdown()
        self.stdout.write("gRPC server stopped")
