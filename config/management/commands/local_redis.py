"""`python manage.py local_redis --port N`: an in-memory Redis for `make run` on a
machine that runs none (fakeredis, with Lua for the shop's toggle script).

A development stand-in, like the gateway sandbox: `devstack` starts it only when no
Redis answers at the shop's default address and none is configured, and production
never installs it. It keeps nothing: after a restart the shop finds its reaction
sets missing and rebuilds them from the database (docs/shop.md, "Redis and
persistence").
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve an in-memory Redis (for make run on a machine without one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=6390)

    def handle(self, *args: Any, **options: Any) -> None:
        # Imported here: a development dependency (the `sandbox` group).
        from fakeredis import TcpFakeServer

        address = (options["host"], options["port"])
        server = TcpFakeServer(address, server_type="redis")
        self.stdout.write(
            f"In-memory Redis on redis://{address[0]}:{address[1]}/0 (kept in memory "
            "only; the shop rebuilds its counts after a restart)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
