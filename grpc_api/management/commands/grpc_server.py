"""`python manage.py grpc_server --port 50051`: serve the gRPC API until told to stop.

SIGTERM (what an orchestrator sends) and SIGINT (Ctrl-C) stop it gracefully: health
turns NOT_SERVING, new calls are refused, calls in flight get the grace period
(GRPC_SHUTDOWN_GRACE_SECONDS) to finish, then the process exits.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

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

    def handle(self, *args: Any, **options: Any) -> None:
        server = build_server(host=options["host"], port=options["port"])
        stopping = threading.Event()

        def stop(signum: int, frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        server.start()
        self.stdout.write(f"gRPC server listening on {options['host']}:{server.port}")
        self.stdout.flush()
        # The main thread waits here, where signal handlers run; the server's own
        # threads serve the calls.
        stopping.wait()
        self.stdout.write("gRPC server stopping: calls in flight may finish")
        self.stdout.flush()
        server.stop()
        self.stdout.write("gRPC server stopped")
