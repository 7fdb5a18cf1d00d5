"""Running the sandbox: in the foreground for people, in a thread for tests."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable

from aiohttp import web

from gateway_sandbox.app import SANDBOX_KEY, Sandbox, SandboxConfig, build_app


async def _start(
    app: web.Application, host: str, port: int
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(
        app, access_log=None, handler_cancellation=False, shutdown_timeout=1.0
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = [s for s in runner.addresses]
    bound_port = int(sockets[0][1]) if sockets else port
    return runner, bound_port


def serve_forever(
    config: SandboxConfig,
    *,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until Ctrl-C or SIGTERM, then close connections and stop cleanly."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        runner, bound_port = await _start(build_app(config), host, port)
        if on_ready is not None:
            on_ready(f"http://{host}:{bound_port}")
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())


class SandboxThread:
    """A sandbox on a free loopback port in a background thread, for tests and tools.

    `sandbox` is the live state object; touch it only between requests (tests do),
    since the server's event loop runs in the other thread.
    """

    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1") -> None:
        self._config = config
        self._host = host
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(
            target=self._run, name="gateway-sandbox", daemon=True
        )
        self._error: BaseException | None = None
        self.url = ""
        self.sandbox: Sandbox | None = None

    def start(self) -> SandboxThread:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the gateway sandbox did not start within 10 s")
        if self._error is not None:
            raise RuntimeError("the gateway sandbox failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        app = build_app(self._config)
        self.sandbox = app[SANDBOX_KEY]
        try:
            runner, port = await _start(app, self._host, 0)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self.url = f"http://{self._host}:{port}"
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            await runner.cleanup()
