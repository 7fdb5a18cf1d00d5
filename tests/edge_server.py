"""The ASGI webhook edge served over real HTTP: uvicorn in a thread, on a free
loopback port, with its lifespan (the batched store's pool on PostgreSQL)."""

from __future__ import annotations

import threading
import time

import uvicorn

from tests.asgi import App
from tests.ports import free_port


class EdgeServer:
    """`app` under uvicorn (httptools) until `stop`."""

    def __init__(self, app: App) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        port = int(self.url.rsplit(":", 1)[1])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            http="httptools",
            lifespan="on",
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self, *, seconds: float = 20) -> EdgeServer:
        self._thread.start()
        deadline = time.monotonic() + seconds
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the webhook edge did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
